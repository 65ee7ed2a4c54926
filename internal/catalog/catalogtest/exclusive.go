package catalogtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var exclusiveTests = []test{
	{"Refused", testExclusiveRefused},
	{"BlockedThenPromotedOnFinish", testExclusivePromoteOnFinish},
	{"PromotedOnCancel", testExclusivePromoteOnCancel},
	{"CancelBlockedKeepsHolder", testExclusiveCancelBlocked},
	{"ReleasedKeyIsFree", testExclusiveReleased},
	{"OtherKeysIndependent", testExclusiveOtherKeys},
	{"ConcurrentCreates", testExclusiveConcurrent},
	{"NoStrandedWaiter", testExclusiveNoStrandedWaiter},
}

func testExclusiveRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	holder := e.create(keyed("backup", "source:s1", false))
	e.claimOne("w1", holder.ID)
	_, _, err := e.s.CreateTask(e.ctx, e.prepare(keyed("restore", "source:s1", false)))
	ae := wantError(t, err, arca.CodeFeatureInUse, holder.ID, "backup", "wait for it to end or cancel it")
	if d := cmp.Diff(map[string]string{"task_id": holder.ID}, ae.Details); d != "" {
		t.Errorf("error details (-want +got):\n%s", d)
	}
	all, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{holder.ID}, ids(all)); d != "" {
		t.Errorf("the refused task was stored (-want +got):\n%s", d)
	}
}

func testExclusivePromoteOnFinish(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(keyed("prune", "repo:r1", true))
	e.claimOne("w1", a.ID)
	b := e.create(keyed("prune", "repo:r1", true))
	c := e.create(keyed("prune", "repo:r1", true))
	for _, blocked := range []arca.Task{b, c} {
		if blocked.State != arca.TaskBlocked {
			t.Fatalf("task created while the key is held: state %s, want blocked", blocked.State)
		}
		want := `waiting for task ` + a.ID + ` (prune) to release "repo:r1"`
		if d := cmp.Diff(want, e.get(blocked.ID).BlockedReason); d != "" {
			t.Errorf("blocked reason (-want +got):\n%s", d)
		}
	}
	if got := e.claim("w2", 10, "prune"); len(got) != 0 {
		t.Fatalf("blocked tasks were claimed: %v", ids(got))
	}
	e.finish(a.ID, "w1", arca.TaskSucceeded)
	if d := cmp.Diff([]arca.TaskState{arca.TaskQueued, arca.TaskBlocked}, e.states(b.ID, c.ID)); d != "" {
		t.Fatalf("after the holder finished, the oldest waiter is queued (-want +got):\n%s", d)
	}
	if r := e.get(b.ID).BlockedReason; r != "" {
		t.Errorf("promoted task keeps blocked reason %q", r)
	}
	_, _, err := e.s.CreateTask(e.ctx, e.prepare(keyed("backup", "repo:r1", false)))
	wantError(t, err, arca.CodeFeatureInUse, b.ID)
	if got := e.claim("w2", 10, "prune"); len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("claim after promotion = %v, want only %s", ids(got), b.ID)
	}
	e.finish(b.ID, "w2", arca.TaskFailed)
	if d := cmp.Diff([]arca.TaskState{arca.TaskQueued}, e.states(c.ID)); d != "" {
		t.Errorf("the last waiter (-want +got):\n%s", d)
	}
}

func testExclusivePromoteOnCancel(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(keyed("prune", "repo:r1", true))
	b := e.create(keyed("prune", "repo:r1", true))
	got := e.cancel(a.ID)
	if got.State != arca.TaskCanceled || got.EndedAt == nil {
		t.Fatalf("queued task after cancel: state %s, ended %v; want canceled with an end", got.State, got.EndedAt)
	}
	if d := cmp.Diff([]arca.TaskState{arca.TaskQueued}, e.states(b.ID)); d != "" {
		t.Errorf("waiter after the holder was canceled (-want +got):\n%s", d)
	}
	if claimed := e.claim("w1", 5, "prune"); len(claimed) != 1 || claimed[0].ID != b.ID {
		t.Errorf("claim = %v, want %s", ids(claimed), b.ID)
	}
}

func testExclusiveCancelBlocked(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(keyed("prune", "repo:r1", true))
	b := e.create(keyed("prune", "repo:r1", true))
	c := e.create(keyed("prune", "repo:r1", true))
	e.cancel(b.ID)
	if d := cmp.Diff([]arca.TaskState{arca.TaskQueued, arca.TaskCanceled, arca.TaskBlocked},
		e.states(a.ID, b.ID, c.ID)); d != "" {
		t.Fatalf("canceling a waiter (-want +got):\n%s", d)
	}
	e.finish(a.ID, "", arca.TaskCanceled)
	if d := cmp.Diff([]arca.TaskState{arca.TaskQueued}, e.states(c.ID)); d != "" {
		t.Errorf("the canceled waiter was skipped (-want +got):\n%s", d)
	}
}

func testExclusiveReleased(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(keyed("backup", "source:s1", false))
	e.claimOne("w1", a.ID)
	e.finish(a.ID, "w1", arca.TaskSucceeded)
	b := e.create(keyed("backup", "source:s1", false))
	if b.State != arca.TaskQueued {
		t.Errorf("task on a released key: state %s, want queued", b.State)
	}
	e.claimOne("w1", b.ID)
}

func testExclusiveOtherKeys(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(keyed("backup", "source:s1", false))
	b := e.create(keyed("backup", "source:s2", false))
	c := e.create(task("backup"))
	got := e.claim("w1", 10, "backup")
	if d := cmp.Diff([]string{a.ID, b.ID, c.ID}, ids(got)); d != "" {
		t.Errorf("claim of tasks on different keys (-want +got):\n%s", d)
	}
}

// testExclusiveConcurrent: creates racing for one free key: one takes it,
// the others are refused (naming the winner) or, waiting, blocked.
func testExclusiveConcurrent(t *testing.T, open Opener) {
	e := newEnv(t, open)
	const n = 10
	for _, wait := range []bool{false, true} {
		key, op := "source:s1", arca.Operation("backup")
		if wait {
			key, op = "repo:r1", "prune"
		}
		cs := make([]catalog.CreateTask, n)
		for i := range cs {
			cs[i] = e.prepare(keyed(op, key, wait))
		}
		tasks := make([]arca.Task, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				tasks[i], _, errs[i] = e.s.CreateTask(e.ctx, cs[i])
			})
		}
		close(start)
		wg.Wait()
		var winners, losers []arca.Task
		for i := range n {
			var ae *arca.Error
			switch {
			case errs[i] == nil && tasks[i].State == arca.TaskQueued:
				winners = append(winners, tasks[i])
			case errs[i] == nil && tasks[i].State == arca.TaskBlocked && wait:
				losers = append(losers, tasks[i])
			case errors.As(errs[i], &ae) && ae.Code == arca.CodeFeatureInUse && !wait:
				losers = append(losers, arca.Task{ID: ae.Details["task_id"]})
			default:
				t.Fatalf("concurrent create (wait %v): %s, %v", wait, tasks[i].State, errs[i])
			}
		}
		if len(winners) != 1 {
			t.Fatalf("wait %v: %d creates took the key, want 1", wait, len(winners))
		}
		for _, l := range losers {
			if !wait && l.ID != winners[0].ID {
				t.Errorf("refusal names task %s, the key is held by %s", l.ID, winners[0].ID)
			}
		}
		if wait {
			checkWaitersInOrder(t, e, winners[0], len(losers))
		}
	}
}

// checkWaitersInOrder finishes the holder and then each promoted task in
// turn: the waiters get the key one at a time, oldest first.
func checkWaitersInOrder(t *testing.T, e *env, holder arca.Task, waiters int) {
	t.Helper()
	blocked, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{Operation: holder.Operation,
		States: []arca.TaskState{arca.TaskBlocked}})
	if err != nil || len(blocked) != waiters {
		t.Fatalf("blocked tasks = %d, %v; want %d", len(blocked), err, waiters)
	}
	current := holder
	for _, next := range blocked {
		e.finish(current.ID, "", arca.TaskSucceeded)
		queued, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{Operation: holder.Operation,
			States: []arca.TaskState{arca.TaskQueued}})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{next.ID}, ids(queued)); d != "" {
			t.Fatalf("queued after %s finished (-want +got):\n%s", current.ID, d)
		}
		current = queued[0]
	}
	e.finish(current.ID, "", arca.TaskSucceeded)
}

// testExclusiveNoStrandedWaiter races a holder's end against a new task
// waiting for its key: whichever wins, the waiter ends up queued, never
// blocked on a key nobody holds.
func testExclusiveNoStrandedWaiter(t *testing.T, open Opener) {
	e := newEnv(t, open)
	for i := range 15 {
		key := fmt.Sprintf("repo:r%d", i)
		holder := e.create(keyed("prune", key, true))
		c := e.prepare(keyed("prune", key, true))
		now := e.tick()
		var waiter arca.Task
		var errFinish, errCreate error
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			_, errFinish = e.s.FinishTask(e.ctx, holder.ID, "", catalog.Finish{State: arca.TaskSucceeded}, now)
		})
		wg.Go(func() {
			<-start
			waiter, _, errCreate = e.s.CreateTask(e.ctx, c)
		})
		close(start)
		wg.Wait()
		if errFinish != nil || errCreate != nil {
			t.Fatalf("round %d: finish %v, create %v", i, errFinish, errCreate)
		}
		if got := e.get(waiter.ID); got.State != arca.TaskQueued {
			t.Fatalf("round %d: the waiter is %s (%q) after the holder ended, want queued", i, got.State, got.BlockedReason)
		}
	}
}
