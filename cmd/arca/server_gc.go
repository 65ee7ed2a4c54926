package main

import (
	"math"
	"runtime/debug"
	"time"
)

// The server's garbage collector runs on a memory target instead of Go's
// default GOGC=100.
//
// Serving the API, the server's live heap is a few MiB, so with GOGC=100
// the collector ran when the heap reached Go's 4 MiB minimum: every ~250
// GETs, about 17 times a second at 4,400 GETs/s, each cycle taking CPU from
// requests (marking, assists, pauses) on a 2-core machine. With the
// collector driven by a soft memory limit that follows the live heap,
// the heap may grow to serverHeapFloor before a collection while it is
// small (one cycle every few thousand requests), and to serverHeadroomPct%
// of the live heap once that is larger: a backup run by the server, whose
// live heap is tens or hundreds of MiB, collects about as often as under
// Go's default (the limit counts the runtime's non-heap memory too, hence
// 250% rather than 200%), so it is not starved of memory.
//
// Like the repository commands' memory budget, the limit is re-read from
// the live heap every serverGCEvery: between two reads a fast-growing live
// heap meets the previous limit, which costs it more collections (the
// runtime caps their CPU share at half) for at most that long.
const (
	serverHeapFloor   = 64 << 20
	serverHeadroomPct = 250
	serverGCEvery     = 100 * time.Millisecond
)

// tuneServerGC switches the collector to the server's memory target and
// returns the function that stops following the live heap and restores the
// previous settings. It does nothing when GOGC or GOMEMLIMIT is set: the
// user's setting wins.
func (m *Main) tuneServerGC() (stop func()) {
	if m.Getenv("GOGC") != "" || m.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prevLimit := debug.SetMemoryLimit(-1)
	follow := followLiveHeap(serverGCEvery, func(live uint64) {
		debug.SetMemoryLimit(serverMemoryLimit(int64(min(live, math.MaxInt64/serverHeadroomPct))))
	})
	prevPercent := debug.SetGCPercent(-1)
	return func() {
		follow()
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	}
}

// serverMemoryLimit is the server's soft memory limit for a live heap of
// live bytes.
func serverMemoryLimit(live int64) int64 {
	return max(serverHeapFloor, live/100*serverHeadroomPct)
}
