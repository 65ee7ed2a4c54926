package task

import (
	"context"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// Reporter is a running task's progress channel. Updates reach in-process
// watchers at once; the engine persists the newest one at most once per
// ProgressInterval. Safe for concurrent use.
type Reporter struct {
	e     *Engine
	start time.Time

	mu    sync.Mutex
	task  arca.Task
	dirty bool
	warns []string
}

func newReporter(e *Engine, t arca.Task) *Reporter {
	return &Reporter{e: e, task: t, start: e.now()}
}

// Update sets the task's progress. Percent never goes back; when it is 0 and
// totals are known it is derived from bytes (or items); the ETA is estimated
// from the rate so far unless given.
func (r *Reporter) Update(p arca.Progress) {
	now := r.e.now()
	r.mu.Lock()
	if p.Percent == 0 {
		p.Percent = derivePercent(p)
	}
	if p.ETA == 0 {
		p.ETA = estimateETA(now.Sub(r.start), p.Percent)
	}
	r.task.Progress = arca.MergeProgress(r.task.Progress, p)
	r.task.UpdatedAt = now
	r.dirty = true
	t := r.task
	r.mu.Unlock()
	r.e.broker.publish(t)
}

// Phase updates only the phase name.
func (r *Reporter) Phase(name string) {
	r.mu.Lock()
	p := r.task.Progress
	r.mu.Unlock()
	p.Phase = name
	p.ETA = 0
	r.Update(p)
}

// Warn records a warning that the task's result will list.
func (r *Reporter) Warn(msg string) {
	r.mu.Lock()
	r.warns = append(r.warns, msg)
	r.mu.Unlock()
}

func (r *Reporter) current() arca.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.task.Progress
}

func (r *Reporter) warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.warns...)
}

// flush persists the progress if it changed; it reports whether it wrote.
func (r *Reporter) flush(ctx context.Context) bool {
	r.mu.Lock()
	if !r.dirty {
		r.mu.Unlock()
		return false
	}
	r.dirty = false
	p := r.task.Progress
	r.mu.Unlock()
	if err := r.e.store.UpdateProgress(ctx, r.task.ID, p, r.e.now()); err != nil && ctx.Err() == nil {
		r.e.log.Warn("persist progress", "task", r.task.ID, "err", err)
	}
	return true
}

func derivePercent(p arca.Progress) float64 {
	switch {
	case p.BytesTotal > 0:
		return 100 * float64(p.BytesDone) / float64(p.BytesTotal)
	case p.ItemsTotal > 0:
		return 100 * float64(p.ItemsDone) / float64(p.ItemsTotal)
	}
	return 0
}

// estimateETA extrapolates the time left from the time taken so far.
func estimateETA(elapsed time.Duration, percent float64) float64 {
	if percent <= 0 || percent >= 100 || elapsed < 500*time.Millisecond {
		return 0
	}
	left := elapsed.Seconds() * (100 - percent) / percent
	return float64(int64(left*10)) / 10
}
