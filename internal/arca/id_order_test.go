package arca

import (
	"testing"
	"time"
)

func TestNewIDSortsWithinAMillisecond(t *testing.T) {
	base := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 2000 {
		id := NewID(base.Add(time.Duration(i) * 300 * time.Nanosecond))
		if !ValidID(id) || id[14] != '7' {
			t.Fatalf("%s is not a UUIDv7", id)
		}
		if prev != "" && id[:18] < prev[:18] {
			t.Fatalf("id %d (%s) sorts before the one made earlier (%s)", i, id, prev)
		}
		prev = id
	}
	a, b := NewID(base.Add(time.Microsecond)), NewID(base.Add(2*time.Microsecond))
	if a >= b {
		t.Errorf("ids a microsecond apart: %s then %s", a, b)
	}
}
