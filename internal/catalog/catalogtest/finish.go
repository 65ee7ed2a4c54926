package catalogtest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var finishTests = []test{
	{"Fields", testFinishFields},
	{"EveryTerminalState", testFinishStates},
	{"WrongWorker", testFinishWrongWorker},
	{"WithoutWorker", testFinishWithoutWorker},
	{"TerminalNeverChanges", testTerminalNeverChanges},
	{"NotTerminalState", testFinishNotTerminal},
	{"NotFound", testFinishNotFound},
}

func testFinishFields(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(task("backup"))
	claimed := e.claimOne("w1", a.ID)
	f := catalog.Finish{
		State:      arca.TaskFailed,
		Result:     json.RawMessage(`{"snapshot": "s1"}`),
		ResultType: "snapshot",
		Error:      &arca.TaskError{Code: arca.CodeUnavailable, Message: "The bucket did not answer.", Details: map[string]string{"bucket": "b"}},
		Warnings:   []string{"skipped /proc", "file changed: /var/log/x"},
		Progress:   arca.Progress{Percent: 70, Phase: "upload"},
	}
	now := e.tick()
	got, err := e.s.FinishTask(e.ctx, a.ID, "w1", f, now)
	if err != nil {
		t.Fatalf("FinishTask: %v", err)
	}
	want := claimed
	want.State, want.Result, want.ResultType, want.Error = f.State, f.Result, f.ResultType, f.Error
	want.Warnings, want.Progress, want.EndedAt, want.UpdatedAt = f.Warnings, f.Progress, ptr(utc(now)), utc(now)
	want.LeaseUntil = nil
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FinishTask returned (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, e.get(a.ID)); d != "" {
		t.Errorf("stored finished task (-want +got):\n%s", d)
	}
	wantUTC(t, got)
}

func testFinishStates(t *testing.T, open Opener) {
	e := newEnv(t, open)
	for _, state := range catalog.TerminalStates() {
		a := e.create(task("backup"))
		e.claimOne("w1", a.ID)
		got, err := e.s.FinishTask(e.ctx, a.ID, "w1", catalog.Finish{State: state}, e.tick())
		if err != nil {
			t.Fatalf("FinishTask(%s): %v", state, err)
		}
		if got.State != state || got.Result != nil || got.Error != nil || got.Warnings != nil {
			t.Errorf("finished %s: state %s, result %s, error %v, warnings %v", state, got.State, got.Result, got.Error, got.Warnings)
		}
	}
}

func testFinishWrongWorker(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(task("backup"))
	claimed := e.claimOne("w1", a.ID)
	_, err := e.s.FinishTask(e.ctx, a.ID, "w2", catalog.Finish{State: arca.TaskSucceeded}, e.tick())
	wantError(t, err, arca.CodeNotAllowedInState, a.ID, "w2")
	if d := cmp.Diff(claimed, e.get(a.ID)); d != "" {
		t.Errorf("refused finish changed the task (-want +got):\n%s", d)
	}
	q := e.create(task("backup"))
	_, err = e.s.FinishTask(e.ctx, q.ID, "w1", catalog.Finish{State: arca.TaskSucceeded}, e.tick())
	wantError(t, err, arca.CodeNotAllowedInState, q.ID)
}

// testFinishWithoutWorker: worker "" finishes tasks no worker holds (queued,
// blocked, batch parents) and releases their keys.
func testFinishWithoutWorker(t *testing.T, open Opener) {
	e := newEnv(t, open)
	parent := e.create(catalog.CreateTask{Task: arca.Task{Operation: "batch"}, StartRunning: true})
	holder := e.create(keyed("prune", "repo:r1", true))
	waiter := e.create(keyed("prune", "repo:r1", true))
	blocked := e.create(keyed("prune", "repo:r1", true))
	e.finish(parent.ID, "", arca.TaskPartiallySucceeded)
	e.finish(blocked.ID, "", arca.TaskFailed)
	e.finish(holder.ID, "", arca.TaskCanceled)
	want := []arca.TaskState{arca.TaskPartiallySucceeded, arca.TaskCanceled, arca.TaskQueued, arca.TaskFailed}
	if d := cmp.Diff(want, e.states(parent.ID, holder.ID, waiter.ID, blocked.ID)); d != "" {
		t.Errorf("states (-want +got):\n%s", d)
	}
}

// testTerminalNeverChanges: no method changes a task once it has ended.
func testTerminalNeverChanges(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(task("backup"))
	e.claimOne("w1", a.ID)
	done := e.finish(a.ID, "w1", arca.TaskSucceeded)
	attempts := map[string]func() error{
		"finish again": func() error {
			_, err := e.s.FinishTask(e.ctx, a.ID, "w1", catalog.Finish{State: arca.TaskFailed}, e.tick())
			return err
		},
		"finish again without worker": func() error {
			_, err := e.s.FinishTask(e.ctx, a.ID, "", catalog.Finish{State: arca.TaskCanceled}, e.tick())
			return err
		},
		"cancel": func() error { _, err := e.s.RequestCancel(e.ctx, a.ID, e.tick()); return err },
		"progress": func() error {
			return e.s.UpdateProgress(e.ctx, a.ID, arca.Progress{Percent: 1}, e.tick())
		},
		"requeue": func() error { return e.s.RequeueTask(e.ctx, a.ID, "", e.now.Add(24*3600e9)) },
	}
	for _, name := range []string{"finish again", "finish again without worker", "cancel", "progress", "requeue"} {
		t.Run(name, func(t *testing.T) {
			wantError(t, attempts[name](), arca.CodeNotAllowedInState, a.ID)
		})
	}
	if d := cmp.Diff(done, e.get(a.ID)); d != "" {
		t.Errorf("the terminal task changed (-want +got):\n%s", d)
	}
	if _, err := e.s.Heartbeat(e.ctx, "w1", []string{a.ID}, e.tick()); err != nil {
		t.Errorf("Heartbeat: %v", err)
	}
	if got := e.claim("w2", 10, "backup"); len(got) != 0 {
		t.Errorf("a finished task was claimed: %v", ids(got))
	}
	if d := cmp.Diff(done, e.get(a.ID)); d != "" {
		t.Errorf("the terminal task changed (-want +got):\n%s", d)
	}
}

func testFinishNotTerminal(t *testing.T, open Opener) {
	e := newEnv(t, open)
	a := e.create(task("backup"))
	e.claimOne("w1", a.ID)
	for _, s := range []arca.TaskState{arca.TaskRunning, arca.TaskQueued, "", "done"} {
		_, err := e.s.FinishTask(e.ctx, a.ID, "w1", catalog.Finish{State: s}, e.tick())
		wantError(t, err, arca.CodeInvalidArgument)
	}
	if got := e.get(a.ID).State; got != arca.TaskRunning {
		t.Errorf("state = %s after refused finishes, want running", got)
	}
}

func testFinishNotFound(t *testing.T, open Opener) {
	e := newEnv(t, open)
	id := arca.NewID(e.now)
	_, err := e.s.FinishTask(e.ctx, id, "", catalog.Finish{State: arca.TaskSucceeded}, e.tick())
	wantError(t, err, arca.CodeNotFound, id)
}
