package catalogtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var createTests = []test{
	{"RoundTrip", testCreateRoundTrip},
	{"Defaults", testCreateDefaults},
	{"StartRunning", testCreateStartRunning},
	{"Refused", testCreateRefused},
	{"GetNotFound", testGetNotFound},
	{"Ping", testPing},
}

func testPing(t *testing.T, open Opener) {
	e := newEnv(t, open)
	if err := e.s.Ping(e.ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testCreateRoundTrip(t *testing.T, open Opener) {
	e := newEnv(t, open)
	parent := e.create(task("batch"))
	in := arca.Task{
		ID:           arca.NewID(e.now),
		Tenant:       "acme",
		Operation:    "backup",
		Target:       arca.Target{Type: "source", ID: "s-1"},
		Parent:       parent.ID,
		State:        arca.TaskSucceeded, // ignored
		Progress:     arca.Progress{Percent: 12.5, Phase: "scan", BytesTotal: 1 << 40, ItemsDone: 3},
		Cancelable:   true,
		CreatedBy:    "token:t-1",
		RequestID:    "req-1",
		Params:       json.RawMessage(`{"paths": ["/data", "/etc"], "n": 1}`),
		ExclusiveKey: "source:s-1",
		CreatedAt:    e.tick(),
	}
	got, replayed, err := e.s.CreateTask(e.ctx, catalog.CreateTask{Task: in})
	if err != nil || replayed {
		t.Fatalf("CreateTask = replayed %v, %v", replayed, err)
	}
	want := in
	want.State = arca.TaskQueued
	want.CreatedAt = utc(in.CreatedAt)
	want.UpdatedAt = want.CreatedAt
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("CreateTask returned (-want +got):\n%s", d)
	}
	stored := e.get(in.ID)
	if d := cmp.Diff(want, stored); d != "" {
		t.Errorf("GetTask (-want +got):\n%s", d)
	}
	wantUTC(t, stored)
}

func testCreateDefaults(t *testing.T, open Opener) {
	e := newEnv(t, open)
	got, _, err := e.s.CreateTask(e.ctx, catalog.CreateTask{Task: arca.Task{Operation: "verify"}})
	if err != nil {
		t.Fatalf("CreateTask: %v", err)
	}
	if !arca.ValidID(got.ID) {
		t.Errorf("generated id %q is not an id", got.ID)
	}
	if d := cmp.Diff(
		arca.Task{ID: got.ID, Tenant: arca.DefaultTenant, Operation: "verify", State: arca.TaskQueued,
			CreatedAt: got.CreatedAt, UpdatedAt: got.CreatedAt},
		got); d != "" {
		t.Errorf("task with defaults (-want +got):\n%s", d)
	}
	if got.CreatedAt.IsZero() || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want a UTC time", got.CreatedAt)
	}
	if d := cmp.Diff(got, e.get(got.ID)); d != "" {
		t.Errorf("GetTask (-want +got):\n%s", d)
	}
}

func testCreateStartRunning(t *testing.T, open Opener) {
	e := newEnv(t, open)
	got := e.create(catalog.CreateTask{Task: arca.Task{Operation: "batch"}, StartRunning: true})
	want := arca.Task{ID: got.ID, Tenant: arca.DefaultTenant, Operation: "batch", State: arca.TaskRunning,
		CreatedAt: utc(e.now), UpdatedAt: utc(e.now), StartedAt: ptr(utc(e.now))}
	if d := cmp.Diff(want, e.get(got.ID)); d != "" {
		t.Errorf("task started running (-want +got):\n%s", d)
	}
	if claimed := e.claim("w1", 10, "batch"); len(claimed) != 0 {
		t.Errorf("a running batch parent was claimed: %v", ids(claimed))
	}
	expired, err := e.s.ExpiredTasks(e.ctx, e.tick(), true)
	if err != nil || len(expired) != 0 {
		t.Errorf("ExpiredTasks(anyLease) = %v, %v; want none: the parent has no worker", ids(expired), err)
	}
}

func testCreateRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	existing := e.create(task("backup"))
	missing := arca.NewID(e.now)
	tests := []struct {
		name string
		task arca.Task
		code arca.Code
		msg  string
	}{
		{"bad id", arca.Task{ID: "nope", Operation: "backup"}, arca.CodeInvalidArgument, "nope"},
		{"no operation", arca.Task{}, arca.CodeInvalidArgument, "operation"},
		{"bad params", arca.Task{Operation: "backup", Params: json.RawMessage(`{"a":`)}, arca.CodeInvalidArgument, "JSON"},
		{"NUL in text", arca.Task{Operation: "backup", Target: arca.Target{Type: "source", ID: "a\x00b"}}, arca.CodeInvalidArgument, "target.id"},
		{"not UTF-8", arca.Task{Operation: "backup", CreatedBy: "\xff"}, arca.CodeInvalidArgument, "created_by"},
		{"bad parent id", arca.Task{Operation: "backup", Parent: "x"}, arca.CodeInvalidArgument, "parent"},
		{"missing parent", arca.Task{Operation: "backup", Parent: missing}, arca.CodeNotFound, missing},
		{"taken id", arca.Task{ID: existing.ID, Operation: "backup"}, arca.CodeAlreadyExists, existing.ID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := catalog.CreateTask{Task: tc.task}
			if tc.task.Operation != "" {
				c = e.prepare(c)
			}
			_, _, err := e.s.CreateTask(e.ctx, c)
			wantError(t, err, tc.code, tc.msg)
		})
	}
	all, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{existing.ID}, ids(all)); d != "" {
		t.Errorf("refused creates left tasks behind (-want +got):\n%s", d)
	}
}

func testGetNotFound(t *testing.T, open Opener) {
	e := newEnv(t, open)
	id := arca.NewID(e.now)
	_, err := e.s.GetTask(e.ctx, id)
	wantError(t, err, arca.CodeNotFound, `task "`+id+`" not found`)
	if !isNotFound(err) {
		t.Errorf("errors.Is(err, arca.ErrNotFound) = false for %v", err)
	}
}
