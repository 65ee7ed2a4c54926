package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestProgressPlain: off a terminal, progress is a plain line per update
// (for logs); with --quiet, nothing.
func TestProgressPlain(t *testing.T) {
	var errb bytes.Buffer
	o := &repoOptions{m: &Main{Stderr: &errb}}
	p := o.newProgress(t.Context(), "backup", true)
	if !p.enabled() || p.interval() != plainInterval {
		t.Fatalf("plain progress: enabled %v, interval %v; want true, %v", p.enabled(), p.interval(), plainInterval)
	}
	p.update(512<<20, 1<<30, true, "10/20 files")
	p.finish()
	line := errb.String()
	for _, want := range []string{"backup: 50.0% 512.0 MiB of 1.0 GiB, 10/20 files", "elapsed\n"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q does not contain %q", line, want)
		}
	}

	errb.Reset()
	o.quiet = true
	p = o.newProgress(t.Context(), "check", false)
	report := throttled(p, func(n int) (int64, int64, string) { return int64(n), 10, "packs" })
	report(5)
	p.finish()
	if p.enabled() || errb.Len() != 0 {
		t.Errorf("--quiet progress printed %q", errb.String())
	}
}
