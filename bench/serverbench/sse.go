package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

// batchDirs are the dataset's three directories, one source each.
var batchDirs = []string{"gosrc", "random", "logs"}

// sse runs the batch with 0 and with cfg.watchers SSE watchers,
// alternating (0, N, N, 0, 0, N, ...), each run into a fresh repository.
func (b *bench) sse(ctx context.Context) error {
	total := dirBytes(b.cfg.data)
	var bare, watched []sample
	for run := 1; run <= b.cfg.runs; run++ {
		order := []int{0, b.cfg.watchers}
		if run%2 == 0 {
			order[0], order[1] = order[1], order[0]
		}
		for _, n := range order {
			got, err := b.batchRun(ctx, run, n, total)
			if err != nil {
				return err
			}
			if n == 0 {
				bare = append(bare, got)
			} else {
				watched = append(watched, got)
			}
		}
	}
	mbps := func(d time.Duration) float64 { return float64(total) / 1e6 / d.Seconds() }
	wb, ww := median(walls(bare)), median(walls(watched))
	fmt.Printf("\nsse, median of %d: batch without watchers %.3f s (%.0f MB/s), with %d watchers %.3f s (%.0f MB/s): throughput cost %.1f%%\n",
		b.cfg.runs, wb.Seconds(), mbps(wb), b.cfg.watchers, ww.Seconds(), mbps(ww), 100*(1-wb.Seconds()/ww.Seconds()))
	cb, cw := median(cpus(bare)), median(cpus(watched))
	fmt.Printf("  server CPU per batch: %.2f s without, %.2f s with watchers (%+.1f%%)\n", cb.Seconds(), cw.Seconds(), 100*(cw.Seconds()/cb.Seconds()-1))
	fmt.Printf("  server waiting for a CPU per batch: %.2f s without, %.2f s with watchers\n", median(runqs(bare)).Seconds(), median(runqs(watched)).Seconds())
	fmt.Printf("  raw wall 0 watchers %s | %d watchers %s\n", secs(walls(bare)), b.cfg.watchers, secs(walls(watched)))
	fmt.Printf("  raw server CPU 0 watchers %s | %d watchers %s\n", secs(cpus(bare)), b.cfg.watchers, secs(cpus(watched)))
	return nil
}

// batchRun backs up the three directories as one batch into a fresh
// repository with n watchers, and returns POST → batch succeeded with the
// server's CPU time meanwhile.
func (b *bench) batchRun(ctx context.Context, run, n int, total int64) (sample, error) {
	name := b.name("repo")
	path := b.path(name)
	repoID, err := addRepository(ctx, b.cl, name, path)
	if err != nil {
		return sample{}, err
	}
	var ids []string
	for _, d := range batchDirs {
		id, err := addSource(ctx, b.cl, b.name("src-"+d), repoID, filepath.Join(b.cfg.data, d))
		if err != nil {
			return sample{}, err
		}
		ids = append(ids, id)
	}
	cpu0, self0, runq0 := b.srv.cpu(), selfCPU(), b.srv.runqWait()
	start := time.Now()
	a, err := b.cl.BackupBatch(ctx, serverapi.BatchBackupRequest{SourceIDs: ids})
	if err != nil {
		return sample{}, fmt.Errorf("start batch: %w", err)
	}
	w := startWatchers(ctx, b.cl, a.Task.ID, n)
	t, err := b.cl.WaitTask(ctx, a.Task.ID)
	wall := time.Since(start)
	cpu, runq := b.srv.cpu()-cpu0, b.srv.runqWait()-runq0
	if err != nil {
		return sample{}, err
	}
	if t.State != "succeeded" {
		return sample{}, fmt.Errorf("batch %s ended %s", t.ID, t.State)
	}
	events, err := w.wait()
	if err != nil {
		return sample{}, err
	}
	var span time.Duration // the batch task's own life: created → ended
	if t.EndedAt != nil {
		span = t.EndedAt.Sub(t.CreatedAt)
	}
	fmt.Printf("run %d batch, %2d watchers: %.3f s (task created → ended %.3f s), %.0f MB/s, server CPU %.2f s, server waiting for a CPU %.2f s, watchers' CPU %.2f s, %d events to watchers (load %s)\n",
		run, n, wall.Seconds(), span.Seconds(), float64(total)/1e6/wall.Seconds(), cpu.Seconds(), runq.Seconds(), (selfCPU() - self0).Seconds(), events, loadavg())
	return sample{wall: wall, cpu: cpu, runq: runq}, removeAll(path)
}

// watchers are SSE clients of one task.
type watchers struct {
	wg     sync.WaitGroup
	mu     sync.Mutex
	events int
	errs   []error
}

// startWatchers opens n event streams of task id, each decoding every
// event, until the task ends.
func startWatchers(ctx context.Context, cl *apiclient.Client, id string, n int) *watchers {
	w := &watchers{}
	for range n {
		w.wg.Go(func() {
			count := 0
			t, err := cl.WatchTask(ctx, id, 0, func(apiclient.Event) error { count++; return nil })
			if err == nil && !t.Final() {
				err = errors.New("stream ended before the task")
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			w.events += count
			if err != nil {
				w.errs = append(w.errs, err)
			}
		})
	}
	return w
}

// wait waits for every watcher to see the end of the task.
func (w *watchers) wait() (int, error) {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		return 0, errors.New("watchers did not see the task end within 30 s")
	}
	return w.events, errors.Join(w.errs...)
}
