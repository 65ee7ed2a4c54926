package catalogtest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var leaseTests = []test{
	{"Expired", testExpired},
	{"Requeue", testRequeue},
	{"RequeueRefused", testRequeueRefused},
}

// claimLease claims id for worker with a lease until until.
func (e *env) claimLease(worker, id string, until time.Time) {
	e.t.Helper()
	got, err := e.s.ClaimTasks(e.ctx, worker, []arca.Operation{e.get(id).Operation}, 1, e.tick(), until)
	if err != nil || len(got) != 1 || got[0].ID != id {
		e.t.Fatalf("claim of %s = %v, %v", id, ids(got), err)
	}
}

func testExpired(t *testing.T, open Opener) {
	e := newEnv(t, open)
	cutoff := e.now.Add(time.Hour)
	expired := e.create(task("backup"))
	e.claimLease("w1", expired.ID, cutoff.Add(-time.Second))
	canceling := e.create(task("backup"))
	e.claimLease("w2", canceling.ID, cutoff.Add(-time.Millisecond))
	e.cancel(canceling.ID)
	live := e.create(task("backup"))
	e.claimLease("w1", live.ID, cutoff.Add(time.Second))
	atCutoff := e.create(task("backup"))
	e.claimLease("w1", atCutoff.ID, cutoff)
	e.create(catalog.CreateTask{Task: arca.Task{Operation: "batch"}, StartRunning: true})
	e.create(task("backup"))
	ended := e.create(task("verify"))
	e.claimLease("w1", ended.ID, cutoff.Add(-time.Minute))
	e.finish(ended.ID, "w1", arca.TaskFailed)

	tests := []struct {
		name     string
		anyLease bool
		want     []string
	}{
		{"lease ended", false, []string{expired.ID, canceling.ID}},
		{"any lease", true, []string{expired.ID, canceling.ID, live.ID, atCutoff.ID}},
	}
	for _, tc := range tests {
		got, err := e.s.ExpiredTasks(e.ctx, cutoff, tc.anyLease)
		if err != nil {
			t.Fatalf("ExpiredTasks(%s): %v", tc.name, err)
		}
		if d := cmp.Diff(tc.want, ids(got)); d != "" {
			t.Errorf("ExpiredTasks(%s) (-want +got):\n%s", tc.name, d)
		}
	}
	got, err := e.s.ExpiredTasks(e.ctx, cutoff, false)
	if err == nil && len(got) > 0 {
		if d := cmp.Diff(e.get(expired.ID), got[0]); d != "" {
			t.Errorf("expired task as listed (-want +got):\n%s", d)
		}
	}
}

func testRequeue(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(keyed("backup", "source:s1", false))
	lease := e.now.Add(time.Minute)
	e.claimLease("w1", a.ID, lease)
	now := lease.Add(time.Second)
	if err := e.s.RequeueTask(e.ctx, a.ID, "", now); err != nil {
		t.Fatalf("RequeueTask: %v", err)
	}
	got := e.get(a.ID)
	if got.State != arca.TaskQueued || got.Worker != "" || got.LeaseUntil != nil || !got.UpdatedAt.Equal(utc(now)) {
		t.Errorf("requeued: state %s, worker %q, lease %v, updated %v; want queued, no worker, no lease, %v",
			got.State, got.Worker, got.LeaseUntil, got.UpdatedAt, utc(now))
	}
	// It keeps its exclusivity key while queued again.
	_, _, err := e.s.CreateTask(e.ctx, e.prepare(keyed("backup", "source:s1", false)))
	wantError(t, err, arca.CodeFeatureInUse, a.ID)
	if _, err := e.s.Heartbeat(e.ctx, "w1", []string{a.ID}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := e.get(a.ID).LeaseUntil; got != nil {
		t.Errorf("the old worker's heartbeat renewed a requeued task's lease to %v", got)
	}
}

func testRequeueRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	lease := e.now.Add(time.Minute)
	held := e.create(task("backup"))
	e.claimLease("w1", held.ID, lease)
	wantError(t, e.s.RequeueTask(e.ctx, held.ID, "", lease.Add(-time.Second)), arca.CodeNotAllowedInState, held.ID, "w1")
	queued := e.create(task("backup"))
	wantError(t, e.s.RequeueTask(e.ctx, queued.ID, "", lease.Add(time.Hour)), arca.CodeNotAllowedInState, queued.ID)
	missing := arca.NewID(e.now)
	wantError(t, e.s.RequeueTask(e.ctx, missing, "", lease), arca.CodeNotFound, missing)
	wantError(t, e.s.RequeueTask(e.ctx, held.ID, "w2", lease.Add(-time.Second)), arca.CodeNotAllowedInState, held.ID, "w1")
	if got := e.get(held.ID); got.State != arca.TaskRunning || got.Worker != "w1" {
		t.Errorf("refused requeue changed the task: %s, worker %q", got.State, got.Worker)
	}
	// Its own worker may give it up before the lease ends.
	if err := e.s.RequeueTask(e.ctx, held.ID, "w1", lease.Add(-time.Second)); err != nil {
		t.Fatalf("RequeueTask by the holder: %v", err)
	}
	if got := e.get(held.ID); got.State != arca.TaskQueued || got.Worker != "" {
		t.Errorf("given up by its worker: %s, worker %q; want queued, no worker", got.State, got.Worker)
	}
}
