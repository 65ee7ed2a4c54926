package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vbauerster/mpb/v8"

	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/serverapi"
)

func TestLineView(t *testing.T) {
	now := fixedNow
	var b bytes.Buffer
	v := &lineView{w: &b, jobs: []job{{label: "www"}, {label: "db"}}, now: func() time.Time { return now }, every: 10 * time.Second,
		last: make([]lineState, 2)}
	running := func(pct float64) serverapi.Task {
		return serverapi.Task{Operation: "backup", State: "running", Progress: serverapi.Progress{Percent: pct, Phase: "backup"}}
	}
	v.update(0, serverapi.Task{Operation: "backup", State: "queued"})
	v.update(0, running(0))
	v.update(1, running(0))
	now = now.Add(5 * time.Second)
	v.update(0, running(40)) // too soon after the last line
	now = now.Add(6 * time.Second)
	v.update(0, running(50))
	v.update(0, running(50))                                             // no change
	v.update(0, serverapi.Task{Operation: "backup", State: "succeeded"}) // the outcome is printed at the end
	want := "www: backup queued\nwww: backup running\ndb: backup running\nwww: 50.0%, backup\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestOutcomeLine(t *testing.T) {
	backup, _ := json.Marshal(ops.BackupResult{SnapshotID: "0123456789abcdef",
		Stats: repo.SnapshotStats{Files: 3, TotalBytes: 3 << 20, BytesAdded: 1 << 20, BytesStored: 512 << 10}})
	tests := []struct {
		t    serverapi.Task
		want string
	}{
		{serverapi.Task{Operation: "backup", State: "succeeded", ResultType: "backup", Result: backup},
			"www: backup succeeded, snapshot 01234567: 3 files, 3.0 MiB (1.0 MiB new, 512.0 KiB stored)"},
		{serverapi.Task{ID: "t1", Operation: "backup", State: "failed", Error: &serverapi.TaskError{Code: "SOURCE_FAILED", Message: "exit status 7"},
			Warnings: []string{"w"}}, "www: backup failed: exit status 7 (SOURCE_FAILED) (1 warnings: arca task get t1)"},
		{serverapi.Task{Operation: "backup", State: "canceled"}, "www: backup canceled"},
		{serverapi.Task{Operation: "backup", State: "succeeded", ResultType: "backup", Result: []byte(`"garbled"`)}, "www: backup succeeded"},
	}
	for _, tt := range tests {
		if got := outcomeLine("www", tt.t); got != tt.want {
			t.Errorf("outcomeLine = %q\nwant           %q", got, tt.want)
		}
	}
}

func TestTally(t *testing.T) {
	ts := []serverapi.Task{{State: "succeeded"}, {State: "failed"}, {State: "succeeded"}, {State: "canceled"}}
	if got, want := tally(ts), "2 of 4 succeeded, 1 failed, 1 canceled"; got != want {
		t.Errorf("tally = %q, want %q", got, want)
	}
}

func TestBarView(t *testing.T) {
	var b bytes.Buffer
	// A buffer is no terminal: force mpb to draw anyway.
	v := newBarView(context.Background(), &b, []job{{label: "www"}, {label: "db"}}, mpb.WithAutoRefresh())
	v.update(0, serverapi.Task{Operation: "backup", State: "running",
		Progress: serverapi.Progress{Percent: 50, Phase: "backup", BytesDone: 1 << 20, BytesTotal: 2 << 20}})
	v.update(1, serverapi.Task{Operation: "backup", State: "running", Progress: serverapi.Progress{Percent: 10}})
	v.update(0, serverapi.Task{Operation: "backup", State: "succeeded", Progress: serverapi.Progress{Percent: 100}})
	v.update(1, serverapi.Task{Operation: "backup", State: "failed", Progress: serverapi.Progress{Percent: 10}})
	v.wait()
	out := b.String()
	for _, want := range []string{"www", "succeeded", "100.0%", "db", "failed", "10.0%"} {
		if !strings.Contains(out, want) {
			t.Errorf("bars lack %q:\n%s", want, out)
		}
	}
}
