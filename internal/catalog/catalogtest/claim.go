package catalogtest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
)

var claimTests = []test{
	{"OldestFirstWithLimit", testClaimOrder},
	{"Fields", testClaimFields},
	{"Operations", testClaimOperations},
	{"Concurrent", testClaimConcurrent},
	{"Heartbeat", testHeartbeat},
	{"UpdateProgress", testUpdateProgress},
}

func testClaimOrder(t *testing.T, open Opener) {
	e := newEnv(t, open)
	var want []string
	for range 5 {
		want = append(want, e.create(task("backup")).ID)
	}
	first := e.claim("w1", 3, "backup")
	rest := e.claim("w2", 10, "backup")
	if d := cmp.Diff(want[:3], ids(first)); d != "" {
		t.Errorf("first claim (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want[3:], ids(rest)); d != "" {
		t.Errorf("second claim (-want +got):\n%s", d)
	}
	if got := e.claim("w3", 10, "backup"); len(got) != 0 {
		t.Errorf("claim with nothing queued = %v", ids(got))
	}
	for _, limit := range []int{0, -1} {
		e.create(task("backup"))
		if got := e.claim("w3", limit, "backup"); len(got) != 0 {
			t.Errorf("claim with limit %d = %v, want none", limit, ids(got))
		}
	}
}

func testClaimFields(t *testing.T, open Opener) {
	e := newEnv(t, open)
	created := e.create(task("backup"))
	now := e.tick()
	lease := now.Add(30 * time.Second)
	got, err := e.s.ClaimTasks(e.ctx, "w1", []arca.Operation{"backup"}, 1, now, lease)
	if err != nil || len(got) != 1 {
		t.Fatalf("ClaimTasks = %v, %v", ids(got), err)
	}
	want := created
	want.State, want.Worker, want.Attempt = arca.TaskRunning, "w1", 1
	want.LeaseUntil, want.StartedAt, want.UpdatedAt = ptr(utc(lease)), ptr(utc(now)), utc(now)
	if d := cmp.Diff(want, got[0]); d != "" {
		t.Errorf("claimed task (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, e.get(created.ID)); d != "" {
		t.Errorf("stored claimed task (-want +got):\n%s", d)
	}
	wantUTC(t, got[0])

	// Requeued after its lease expired and claimed again: StartedAt stays
	// the first start, Attempt counts.
	later := lease.Add(time.Second)
	if err := e.s.RequeueTask(e.ctx, created.ID, "", later); err != nil {
		t.Fatalf("RequeueTask: %v", err)
	}
	again, err := e.s.ClaimTasks(e.ctx, "w2", []arca.Operation{"backup"}, 1, later, later.Add(time.Minute))
	if err != nil || len(again) != 1 {
		t.Fatalf("second ClaimTasks = %v, %v", ids(again), err)
	}
	if again[0].Attempt != 2 || again[0].Worker != "w2" || !again[0].StartedAt.Equal(utc(now)) {
		t.Errorf("reclaimed: attempt %d, worker %q, started %v; want 2, w2, %v",
			again[0].Attempt, again[0].Worker, again[0].StartedAt, utc(now))
	}
}

func testClaimOperations(t *testing.T, open Opener) {
	e := newEnv(t, open)
	b := e.create(task("backup"))
	p := e.create(task("prune"))
	v := e.create(task("verify"))
	if got := e.claim("w1", 10); len(got) != 0 {
		t.Errorf("claim with no operations = %v, want none", ids(got))
	}
	if d := cmp.Diff([]string{b.ID, v.ID}, ids(e.claim("w1", 10, "verify", "backup"))); d != "" {
		t.Errorf("claim of backup and verify (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{p.ID}, ids(e.claim("w1", 10, "prune", "restore"))); d != "" {
		t.Errorf("claim of prune (-want +got):\n%s", d)
	}
}

// testClaimConcurrent: 8 workers claim 200 tasks at once; each task is
// claimed by exactly one of them.
func testClaimConcurrent(t *testing.T, open Opener) {
	e := newEnv(t, open)
	const tasks, workers = 200, 8
	want := make([]string, tasks)
	for i := range want {
		want[i] = e.create(task("backup")).ID
	}
	claimed := make([][]string, workers)
	errs := make([]error, workers)
	now := e.tick()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			errs[w] = claimAll(e, fmt.Sprintf("w%d", w), now, &claimed[w])
		})
	}
	close(start)
	wg.Wait()
	var all []string
	for w := range workers {
		if errs[w] != nil {
			t.Fatalf("worker %d: %v", w, errs[w])
		}
		all = append(all, claimed[w]...)
	}
	slices.Sort(all)
	if d := cmp.Diff(want, all); d != "" {
		t.Errorf("tasks claimed (each exactly once) (-want +got):\n%s", d)
	}
}

// claimAll claims batches of 5 until none is left, checking each task
// comes back held by worker.
func claimAll(e *env, worker string, now time.Time, out *[]string) error {
	for {
		got, err := e.s.ClaimTasks(e.ctx, worker, []arca.Operation{"backup"}, 5, now, now.Add(time.Minute))
		if err != nil {
			return err
		}
		if len(got) == 0 {
			return nil
		}
		for _, task := range got {
			if task.Worker != worker || task.State != arca.TaskRunning || task.Attempt != 1 {
				return fmt.Errorf("claimed task %s: worker %q, state %s, attempt %d", task.ID, task.Worker, task.State, task.Attempt)
			}
			*out = append(*out, task.ID)
		}
	}
}

func testHeartbeat(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a, b, c := e.create(task("backup")), e.create(task("backup")), e.create(task("backup"))
	e.claimOne("w1", a.ID)
	e.claimOne("w1", b.ID)
	e.claimOne("w2", c.ID)
	e.cancel(b.ID)
	e.cancel(c.ID)
	lease := e.tick().Add(time.Hour)
	canceled, err := e.s.Heartbeat(e.ctx, "w1", []string{a.ID, b.ID, c.ID}, lease)
	if err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	if d := cmp.Diff([]string{b.ID}, canceled); d != "" {
		t.Errorf("canceled ids (-want +got):\n%s", d)
	}
	for id, want := range map[string]time.Time{a.ID: utc(lease), b.ID: utc(lease)} {
		if got := e.get(id).LeaseUntil; got == nil || !got.Equal(want) {
			t.Errorf("lease of %s = %v, want %v", id, got, want)
		}
	}
	if got := e.get(c.ID).LeaseUntil; got == nil || got.Equal(utc(lease)) {
		t.Errorf("heartbeat of w1 changed the lease of w2's task to %v", got)
	}
	if got, err := e.s.Heartbeat(e.ctx, "w1", nil, lease); err != nil || len(got) != 0 {
		t.Errorf("Heartbeat with no ids = %v, %v", got, err)
	}
}

func testUpdateProgress(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(task("backup"))
	e.claimOne("w1", a.ID)
	p := arca.Progress{Percent: 40, Phase: "upload", BytesDone: 400, BytesTotal: 1000, ItemsDone: 4, ItemsTotal: 10, ETA: 12.5}
	now := e.tick()
	if err := e.s.UpdateProgress(e.ctx, a.ID, p, now); err != nil {
		t.Fatalf("UpdateProgress: %v", err)
	}
	got := e.get(a.ID)
	if d := cmp.Diff(p, got.Progress); d != "" {
		t.Errorf("progress (-want +got):\n%s", d)
	}
	if !got.UpdatedAt.Equal(utc(now)) {
		t.Errorf("updated_at = %v, want %v", got.UpdatedAt, utc(now))
	}
	done := e.finish(a.ID, "w1", arca.TaskSucceeded)
	err := e.s.UpdateProgress(e.ctx, a.ID, arca.Progress{Percent: 50}, e.tick())
	wantError(t, err, arca.CodeNotAllowedInState, a.ID)
	if d := cmp.Diff(done, e.get(a.ID)); d != "" {
		t.Errorf("progress of a finished task changed it (-want +got):\n%s", d)
	}
	missing := arca.NewID(e.now)
	wantError(t, e.s.UpdateProgress(e.ctx, missing, p, e.tick()), arca.CodeNotFound, missing)
}
