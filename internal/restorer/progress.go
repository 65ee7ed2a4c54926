package restorer

import (
	"context"
	"sync/atomic"
	"time"
)

// counters are the running totals for progress.
type counters struct {
	filesDone, filesTotal atomic.Uint64
	bytesDone, bytesTotal atomic.Uint64
	walked                atomic.Bool
	phase                 atomic.Value // string
}

func (r *restore) startReporting(ctx context.Context) (stop func()) {
	r.prog.phase.Store(PhaseFiles)
	if r.opts.Progress == nil {
		return func() {}
	}
	start := time.Now()
	interval := r.opts.ProgressInterval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.opts.Progress(r.progress(start))
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
		r.prog.phase.Store(PhaseDone)
		r.opts.Progress(r.progress(start))
	}
}

func (r *restore) progress(start time.Time) Progress {
	r.rep.mu.Lock()
	failures := r.rep.res.FailureCount
	r.rep.mu.Unlock()
	phase, _ := r.prog.phase.Load().(string)
	return Progress{
		Phase:       phase,
		FilesDone:   r.prog.filesDone.Load(),
		FilesTotal:  r.prog.filesTotal.Load(),
		BytesDone:   r.prog.bytesDone.Load(),
		BytesTotal:  r.prog.bytesTotal.Load(),
		TotalsFinal: r.prog.walked.Load(),
		Failures:    failures,
		Elapsed:     time.Since(start),
	}
}
