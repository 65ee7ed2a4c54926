package main

import (
	"runtime/debug"
	"testing"
)

func TestServerMemoryLimitHasAFloorThenFollowsTheLiveHeap(t *testing.T) {
	for _, c := range []struct{ live, want int64 }{
		{0, serverHeapFloor},
		{2 << 20, serverHeapFloor},
		{20 << 20, serverHeapFloor},
		{100 << 20, 250 << 20},
		{1000 << 20, 2500 << 20},
	} {
		if got := serverMemoryLimit(c.live); got != c.want {
			t.Errorf("serverMemoryLimit(%d MiB) = %d MiB, want %d MiB", c.live>>20, got>>20, c.want>>20)
		}
	}
}

func TestTuneServerGCRestoresAndDefersToTheEnvironment(t *testing.T) {
	prevLimit := debug.SetMemoryLimit(1 << 40)
	prevPercent := debug.SetGCPercent(150)
	defer func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	}()
	m := &Main{Getenv: func(string) string { return "" }}
	stop := m.tuneServerGC()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GC percent while tuning = %d, want -1 (the memory limit drives the collector)", got)
	}
	if got := debug.SetMemoryLimit(-1); got < serverHeapFloor || got >= 1<<40 {
		t.Errorf("memory limit while tuning = %d, want at least %d and below 1 TiB", got, serverHeapFloor)
	}
	stop()
	if got := debug.SetGCPercent(-1); got != 150 {
		t.Errorf("GC percent after tuning = %d, want 150 restored", got)
	}
	debug.SetGCPercent(150)
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("memory limit after tuning = %d, want 1 TiB restored", got)
	}
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		m.Getenv = func(k string) string {
			if k == env {
				return "200"
			}
			return ""
		}
		m.tuneServerGC()()
		if got := debug.SetGCPercent(-1); got != 150 {
			t.Errorf("GC percent with %s set = %d, want untouched", env, got)
		}
		debug.SetGCPercent(150)
		if got := debug.SetMemoryLimit(-1); got != 1<<40 {
			t.Errorf("memory limit with %s set = %d, want untouched", env, got)
		}
	}
}
