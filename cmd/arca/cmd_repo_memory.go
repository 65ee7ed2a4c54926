package main

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// A repository command keeps its Go memory near the 128 MiB backup budget
// without paying for it in collector time: the soft memory limit follows
// the live heap (memHeadroomPct% of it, at least memFloor), so a backup whose
// working set is ~60 MiB collects before the heap doubles, while a command
// with a large live heap (a million files' trees and index) is not driven
// into back-to-back collections by a fixed limit it cannot meet.
//
// Below the floor the collector paces itself to a heap goal of at least
// memMinGoal: a no-change backup keeps 1-10 MiB live and with GOGC=100
// collected a dozen times in 0.3 s (GC goals of 4-10 MiB); a goal of
// memMinGoal collects it once or twice, well inside the budget.
const (
	memMinGoal     = 64 << 20
	memMaxPercent  = 10000
	memFloor       = 100 << 20
	memHeadroomPct = 140
	memTuneEvery   = 100 * time.Millisecond
	liveHeapMetric = "/gc/heap/live:bytes"
)

// tuneMemory starts following the live heap and returns the function that
// stops and restores the previous limit and GC percent. It leaves the limit
// alone when GOMEMLIMIT is set and the GC percent when GOGC is: the user's
// settings win.
func (o *repoOptions) tuneMemory() (stop func()) {
	limit, percent := o.m.Getenv("GOMEMLIMIT") == "", o.m.Getenv("GOGC") == ""
	if !limit && !percent {
		return func() {}
	}
	prevLimit := debug.SetMemoryLimit(-1) // a negative limit only reads it
	prevPercent := 0
	if percent {
		prevPercent = debug.SetGCPercent(100) // apply sets the real one at once
	}
	sample := []metrics.Sample{{Name: liveHeapMetric}}
	apply := func() {
		metrics.Read(sample)
		var live int64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = int64(sample[0].Value.Uint64())
		}
		if limit {
			debug.SetMemoryLimit(memoryLimit(live))
		}
		if percent {
			debug.SetGCPercent(gcPercent(live))
		}
	}
	apply()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(memTuneEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				apply()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		debug.SetMemoryLimit(prevLimit)
		if percent {
			debug.SetGCPercent(prevPercent)
		}
	}
}

// gcPercent is the GC percent for a live heap of live bytes: 100 (Go's
// default) once the heap goal it gives reaches memMinGoal, more below.
func gcPercent(live int64) int {
	live = max(live, 1<<20)
	return int(min(memMaxPercent, max(100, memMinGoal*100/live-100)))
}

// memoryLimit is the soft limit for a live heap of live bytes.
func memoryLimit(live int64) int64 {
	return max(memFloor, live/100*memHeadroomPct)
}
