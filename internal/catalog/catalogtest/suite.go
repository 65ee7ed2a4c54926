// Package catalogtest is the conformance suite of catalog.Store: one set of
// tests every catalog driver passes. A driver's test file needs only
//
//	func TestConformance(t *testing.T) {
//		catalogtest.Run(t, func(t *testing.T) catalog.Store { ... })
//	}
package catalogtest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// Opener returns a new, empty catalog that no other test uses. It registers
// the store's Close (and any clean-up of its database) with t.Cleanup. The
// suite's tests run in parallel, so it is called from several goroutines.
type Opener func(t *testing.T) catalog.Store

// Run runs every conformance test against stores from open, each in its own
// subtest with its own store.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Create", createTests},
		{"Exclusive", exclusiveTests},
		{"Idempotency", idempotencyTests},
		{"Claim", claimTests},
		{"Finish", finishTests},
		{"Cancel", cancelTests},
		{"Lease", leaseTests},
		{"Delete", deleteTests},
		{"List", listTests},
		{"Token", tokenTests},
		{"Identity", identityTests},
		{"Audit", auditTests},
		{"Repository", repositoryTests},
		{"Source", sourceTests},
		{"Snapshot", snapshotTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, open)
				})
			}
		})
	}
}

// test is one conformance test.
type test struct {
	name string
	fn   func(t *testing.T, open Opener)
}

// env is one test's store and clock. The clock starts at a fixed time and
// moves forward one millisecond per tick, so tasks created in a row get ids
// in creation order.
type env struct {
	t   *testing.T
	ctx context.Context
	s   catalog.Store
	now time.Time
}

// base is where every test's clock starts: a time with nanoseconds, in a
// zone other than UTC, to check that the drivers normalise it.
var base = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))

func newEnv(t *testing.T, open Opener) *env {
	t.Helper()
	return &env{t: t, ctx: t.Context(), s: open(t), now: base}
}

// tick advances the clock by one millisecond and returns it.
func (e *env) tick() time.Time {
	e.now = e.now.Add(time.Millisecond)
	return e.now
}

// create creates a task with the defaults tests rely on (operation backup,
// tenant default, created at the next tick) and fails the test on error.
func (e *env) create(c catalog.CreateTask) arca.Task {
	e.t.Helper()
	task, replayed, err := e.s.CreateTask(e.ctx, e.prepare(c))
	if err != nil {
		e.t.Fatalf("CreateTask: %v", err)
	}
	if replayed {
		e.t.Fatalf("CreateTask of a new task: replayed = true")
	}
	return task
}

func (e *env) prepare(c catalog.CreateTask) catalog.CreateTask {
	if c.Task.Operation == "" {
		c.Task.Operation = "backup"
	}
	if c.Task.CreatedAt.IsZero() {
		c.Task.CreatedAt = e.tick()
	}
	return c
}

// task is a CreateTask for a plain task of operation op.
func task(op arca.Operation) catalog.CreateTask {
	return catalog.CreateTask{Task: arca.Task{Operation: op}}
}

// keyed is a CreateTask for a task with an exclusivity key.
func keyed(op arca.Operation, key string, wait bool) catalog.CreateTask {
	return catalog.CreateTask{Task: arca.Task{Operation: op, ExclusiveKey: key}, WaitForKey: wait}
}

// child is a CreateTask for a task whose parent is parent.
func child(parent string) catalog.CreateTask {
	return catalog.CreateTask{Task: arca.Task{Operation: "backup", Parent: parent}}
}

func (e *env) get(id string) arca.Task {
	e.t.Helper()
	task, err := e.s.GetTask(e.ctx, id)
	if err != nil {
		e.t.Fatalf("GetTask(%s): %v", id, err)
	}
	return task
}

// claim claims up to limit tasks of ops for worker with a lease of a minute.
func (e *env) claim(worker string, limit int, ops ...arca.Operation) []arca.Task {
	e.t.Helper()
	now := e.tick()
	tasks, err := e.s.ClaimTasks(e.ctx, worker, ops, limit, now, now.Add(time.Minute))
	if err != nil {
		e.t.Fatalf("ClaimTasks: %v", err)
	}
	return tasks
}

// claimOne claims exactly the task id for worker.
func (e *env) claimOne(worker, id string) arca.Task {
	e.t.Helper()
	got := e.claim(worker, 1, e.get(id).Operation)
	if len(got) != 1 || got[0].ID != id {
		var all []arca.Task
		for _, x := range got {
			all = append(all, e.get(x.ID))
		}
		e.t.Fatalf("claim of %s (%+v): got %+v", id, e.get(id), all)
	}
	return got[0]
}

// finish finishes id as worker in state, failing the test on error.
func (e *env) finish(id, worker string, state arca.TaskState) arca.Task {
	e.t.Helper()
	task, err := e.s.FinishTask(e.ctx, id, worker, catalog.Finish{State: state}, e.tick())
	if err != nil {
		e.t.Fatalf("FinishTask(%s): %v", id, err)
	}
	return task
}

func (e *env) cancel(id string) arca.Task {
	e.t.Helper()
	task, err := e.s.RequestCancel(e.ctx, id, e.tick())
	if err != nil {
		e.t.Fatalf("RequestCancel(%s): %v", id, err)
	}
	return task
}

// states returns the current state of each id.
func (e *env) states(ids ...string) []arca.TaskState {
	e.t.Helper()
	out := make([]arca.TaskState, len(ids))
	for i, id := range ids {
		out[i] = e.get(id).State
	}
	return out
}

// ids returns the ids of tasks (nil for none).
func ids(tasks []arca.Task) []string {
	var out []string
	for _, t := range tasks {
		out = append(out, t.ID)
	}
	return out
}

// utc is t as the catalog returns it: UTC, microseconds.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

// wantError checks that err is an *arca.Error of code with a message that
// contains every one of parts, and returns it.
func wantError(t *testing.T, err error, code arca.Code, parts ...string) *arca.Error {
	t.Helper()
	var ae *arca.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want an *arca.Error with code %s", err, err, code)
	}
	if ae.Code != code {
		t.Fatalf("error code = %s (%v), want %s", ae.Code, err, code)
	}
	for _, p := range parts {
		if !strings.Contains(ae.Message, p) {
			t.Errorf("error message %q does not contain %q", ae.Message, p)
		}
	}
	return ae
}

// wantTimes checks that every time of task is in UTC.
func wantUTC(t *testing.T, task arca.Task) {
	t.Helper()
	for name, tm := range map[string]*time.Time{"created_at": &task.CreatedAt, "updated_at": &task.UpdatedAt,
		"started_at": task.StartedAt, "ended_at": task.EndedAt, "lease_until": task.LeaseUntil} {
		if tm != nil && !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("task %s %s is in %v, want UTC", task.ID, name, tm.Location())
		}
	}
}

// mustJSON marshals v.
func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func isNotFound(err error) bool { return errors.Is(err, arca.ErrNotFound) }

func errorsIsNotAllowed(err error) bool { return errors.Is(err, arca.ErrNotAllowed) }
