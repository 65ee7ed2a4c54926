package main

import (
	"math"
	"runtime/debug"
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
		prevPercent = debug.SetGCPercent(100) // followLiveHeap sets the real one at once
	}
	follow := followLiveHeap(memTuneEvery, func(live uint64) {
		if limit {
			debug.SetMemoryLimit(memoryLimit(int64(min(live, math.MaxInt64/memHeadroomPct))))
		}
		if percent {
			debug.SetGCPercent(gcPercent(int64(min(live, math.MaxInt64))))
		}
	})
	return func() {
		follow()
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
