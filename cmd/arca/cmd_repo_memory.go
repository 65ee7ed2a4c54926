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
const (
	memFloor       = 100 << 20
	memHeadroomPct = 140
	memTuneEvery   = 100 * time.Millisecond
	liveHeapMetric = "/gc/heap/live:bytes"
)

// tuneMemory starts following the live heap and returns the function that
// stops and restores the previous limit. It does nothing when GOMEMLIMIT
// is set: the user's limit wins.
func (o *repoOptions) tuneMemory() (stop func()) {
	if o.m.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(-1)
	sample := []metrics.Sample{{Name: liveHeapMetric}}
	apply := func() {
		metrics.Read(sample)
		var live int64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = int64(sample[0].Value.Uint64())
		}
		debug.SetMemoryLimit(memoryLimit(live))
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
		debug.SetMemoryLimit(prev)
	}
}

// memoryLimit is the soft limit for a live heap of live bytes.
func memoryLimit(live int64) int64 {
	return max(memFloor, live/100*memHeadroomPct)
}
