package main

import (
	"runtime/debug"
	"testing"
)

func TestMemoryLimitFollowsTheLiveHeapAboveAFloor(t *testing.T) {
	for _, c := range []struct{ live, want int64 }{
		{0, memFloor},
		{60 << 20, memFloor},
		{400 << 20, 560 << 20},
	} {
		if got := memoryLimit(c.live); got != c.want {
			t.Errorf("memoryLimit(%d MiB) = %d MiB, want %d MiB", c.live>>20, got>>20, c.want>>20)
		}
	}
}

func TestTuneMemoryRestoresTheLimitAndDefersToGOMEMLIMIT(t *testing.T) {
	prev := debug.SetMemoryLimit(1 << 40)
	defer debug.SetMemoryLimit(prev)
	o := &repoOptions{m: &Main{Getenv: func(string) string { return "" }}}
	stop := o.tuneMemory()
	if got := debug.SetMemoryLimit(-1); got >= 1<<40 {
		t.Errorf("limit while tuning = %d, want below 1 TiB", got)
	}
	stop()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("limit after tuning = %d, want 1 TiB restored", got)
	}
	o.m.Getenv = func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	}
	o.tuneMemory()()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("limit with GOMEMLIMIT set = %d, want untouched", got)
	}
}

func TestGCPercentKeepsAMinimumHeapGoal(t *testing.T) {
	for _, c := range []struct {
		live int64
		want int
	}{
		{0, 6300},         // before the first collection: as if 1 MiB live
		{4 << 20, 1500},   // a no-change backup: goal 64 MiB
		{32 << 20, 100},   // goal 64 MiB is GOGC=100 already
		{500 << 20, 100},  // large heaps: Go's default
		{100 << 10, 6300}, // tiny heaps are capped
		{640 << 10, 6300}, // as 1 MiB
		{16 << 20, 300},   // goal 64 MiB
		{48 << 20, 100},   // never below the default
	} {
		if got := gcPercent(c.live); got != min(c.want, memMaxPercent) {
			t.Errorf("gcPercent(%d KiB) = %d, want %d", c.live>>10, got, c.want)
		}
	}
}

func TestTuneMemoryDefersToGOGC(t *testing.T) {
	// 77 is below any percent the tuner sets (at least 100).
	prev := debug.SetGCPercent(77)
	defer debug.SetGCPercent(prev)
	o := &repoOptions{m: &Main{Getenv: func(k string) string {
		if k == "GOGC" {
			return "77"
		}
		return ""
	}}}
	stop := o.tuneMemory()
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("GC percent while tuning with GOGC set = %d, want 77 untouched", got)
	}
	stop()
	o.m.Getenv = func(string) string { return "" }
	stop = o.tuneMemory()
	if got := debug.SetGCPercent(6300); got < 100 {
		t.Errorf("GC percent while tuning = %d, want the tuner's (at least 100)", got)
	}
	stop()
	if got := debug.SetGCPercent(77); got != 77 {
		t.Errorf("GC percent after tuning = %d, want 77 restored", got)
	}
}
