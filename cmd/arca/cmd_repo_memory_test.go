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
