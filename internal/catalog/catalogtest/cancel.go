package catalogtest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var cancelTests = []test{
	{"Cascade", testCancelCascade},
	{"Queued", testCancelQueued},
	{"RunningThenFinished", testCancelRunning},
	{"Refused", testCancelRefused},
}

// testCancelCascade cancels a batch over a two-level tree of jobs in every
// state.
func testCancelCascade(t *testing.T, open Opener) {
	e := newEnv(t, open)
	root := e.create(catalog.CreateTask{Task: arca.Task{Operation: "batch"}, StartRunning: true})
	running := e.create(child(root.ID))
	e.claimOne("w1", running.ID)
	done := e.create(child(root.ID))
	e.claimOne("w1", done.ID)
	doneTask := e.finish(done.ID, "w1", arca.TaskSucceeded)
	queued := e.create(child(root.ID))
	grandQueued := e.create(child(running.ID))
	holder := e.create(keyed("prune", "repo:r1", true))
	grandBlocked := e.create(catalog.CreateTask{
		Task: arca.Task{Operation: "prune", Parent: queued.ID, ExclusiveKey: "repo:r1"}, WaitForKey: true})
	unrelated := e.create(task("backup"))

	now := e.tick()
	got, err := e.s.RequestCancel(e.ctx, root.ID, now)
	if err != nil {
		t.Fatalf("RequestCancel: %v", err)
	}
	if got.ID != root.ID || got.State != arca.TaskCanceling || !got.CancelRequested {
		t.Errorf("RequestCancel returned %s in %s (cancel requested %v), want the root canceling",
			got.ID, got.State, got.CancelRequested)
	}
	want := map[string]arca.TaskState{
		root.ID: arca.TaskCanceling, running.ID: arca.TaskCanceling, queued.ID: arca.TaskCanceled,
		done.ID: arca.TaskSucceeded, grandQueued.ID: arca.TaskCanceled, grandBlocked.ID: arca.TaskCanceled,
		holder.ID: arca.TaskQueued, unrelated.ID: arca.TaskQueued,
	}
	for id, state := range want {
		task := e.get(id)
		if task.State != state {
			t.Errorf("task %s: state %s, want %s", id, task.State, state)
		}
		switch state {
		case arca.TaskCanceled:
			if task.EndedAt == nil || !task.EndedAt.Equal(utc(now)) {
				t.Errorf("canceled task %s ended at %v, want %v", id, task.EndedAt, utc(now))
			}
		case arca.TaskCanceling:
			if !task.CancelRequested || task.EndedAt != nil {
				t.Errorf("canceling task %s: cancel requested %v, ended %v", id, task.CancelRequested, task.EndedAt)
			}
		}
	}
	if d := cmp.Diff(doneTask, e.get(done.ID)); d != "" {
		t.Errorf("the finished child changed (-want +got):\n%s", d)
	}
	if r := e.get(grandBlocked.ID).BlockedReason; r != "" {
		t.Errorf("canceled blocked task keeps its reason %q", r)
	}
	// Asking again leaves canceling tasks canceling.
	again := e.cancel(root.ID)
	if again.State != arca.TaskCanceling {
		t.Errorf("second cancel: state %s, want canceling", again.State)
	}
}

func testCancelQueued(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(task("backup"))
	now := e.tick()
	got, err := e.s.RequestCancel(e.ctx, a.ID, now)
	if err != nil {
		t.Fatalf("RequestCancel: %v", err)
	}
	want := a
	want.State, want.CancelRequested, want.EndedAt, want.UpdatedAt = arca.TaskCanceled, true, ptr(utc(now)), utc(now)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("canceled queued task (-want +got):\n%s", d)
	}
	if claimed := e.claim("w1", 10, "backup"); len(claimed) != 0 {
		t.Errorf("a canceled task was claimed: %v", ids(claimed))
	}
}

func testCancelRunning(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(keyed("backup", "source:s1", false))
	e.claimOne("w1", a.ID)
	got := e.cancel(a.ID)
	if got.State != arca.TaskCanceling || !got.CancelRequested || got.Worker != "w1" {
		t.Fatalf("canceled running task: state %s, requested %v, worker %q", got.State, got.CancelRequested, got.Worker)
	}
	_, _, err := e.s.CreateTask(e.ctx, e.prepare(keyed("backup", "source:s1", false)))
	wantError(t, err, arca.CodeFeatureInUse, a.ID)
	end := e.finish(a.ID, "w1", arca.TaskCanceled)
	if end.State != arca.TaskCanceled || end.EndedAt == nil {
		t.Errorf("finished canceling task: %s, ended %v", end.State, end.EndedAt)
	}
	e.create(keyed("backup", "source:s1", false))
}

func testCancelRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(task("backup"))
	e.finish(a.ID, "", arca.TaskSucceeded)
	_, err := e.s.RequestCancel(e.ctx, a.ID, e.tick())
	wantError(t, err, arca.CodeNotAllowedInState, a.ID, "succeeded")
	if !errorsIsNotAllowed(err) {
		t.Errorf("errors.Is(err, arca.ErrNotAllowed) = false for %v", err)
	}
	missing := arca.NewID(e.now)
	_, err = e.s.RequestCancel(e.ctx, missing, e.tick())
	wantError(t, err, arca.CodeNotFound, missing)
}
