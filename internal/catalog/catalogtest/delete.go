package catalogtest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var deleteTests = []test{
	{"Task", testDeleteTask},
	{"Refused", testDeleteRefused},
	{"EndedBefore", testDeleteEndedBefore},
}

// remaining returns the ids of every task left.
func (e *env) remaining() []string {
	e.t.Helper()
	all, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{Limit: catalog.MaxListLimit})
	if err != nil {
		e.t.Fatalf("ListTasks: %v", err)
	}
	return ids(all)
}

func testDeleteTask(t *testing.T, open Opener) {
	e := newEnv(t, open)
	keep := e.create(task("backup"))
	root := e.create(catalog.CreateTask{Task: arca.Task{Operation: "batch"}, StartRunning: true})
	c1 := e.create(child(root.ID))
	c2 := e.create(child(c1.ID))
	for _, id := range []string{c2.ID, c1.ID, root.ID} {
		e.finish(id, "", arca.TaskSucceeded)
	}
	if err := e.s.DeleteTask(e.ctx, root.ID); err != nil {
		t.Fatalf("DeleteTask: %v", err)
	}
	if d := cmp.Diff([]string{keep.ID}, e.remaining()); d != "" {
		t.Errorf("tasks left after deleting a tree (-want +got):\n%s", d)
	}
	for _, id := range []string{root.ID, c1.ID, c2.ID} {
		_, err := e.s.GetTask(e.ctx, id)
		wantError(t, err, arca.CodeNotFound, id)
	}
}

func testDeleteRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	running := e.create(task("backup"))
	e.claimOne("w1", running.ID)
	queued := e.create(task("backup"))
	root := e.create(task("batch"))
	e.finish(root.ID, "", arca.TaskFailed)
	openChild := e.create(child(root.ID))
	missing := arca.NewID(e.now)
	tests := []struct {
		name string
		id   string
		code arca.Code
	}{
		{"queued", queued.ID, arca.CodeNotAllowedInState},
		{"running", running.ID, arca.CodeNotAllowedInState},
		{"unfinished child", root.ID, arca.CodeNotAllowedInState},
		{"missing", missing, arca.CodeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.s.DeleteTask(e.ctx, tc.id), tc.code, tc.id)
		})
	}
	want := []string{running.ID, queued.ID, root.ID, openChild.ID}
	if d := cmp.Diff(want, e.remaining()); d != "" {
		t.Errorf("refused deletes removed tasks (-want +got):\n%s", d)
	}
}

func testDeleteEndedBefore(t *testing.T, open Opener) {
	e := newEnv(t, open)
	old := e.create(task("backup"))
	e.finish(old.ID, "", arca.TaskSucceeded)
	oldBatch := e.create(task("batch"))
	oldJob := e.create(child(oldBatch.ID))
	e.finish(oldJob.ID, "", arca.TaskFailed)
	e.finish(oldBatch.ID, "", arca.TaskFailed)
	openBatch := e.create(task("batch"))
	e.finish(openBatch.ID, "", arca.TaskCanceled)
	openJob := e.create(child(openBatch.ID))
	unfinished := e.create(task("backup"))
	cutoff := e.tick()
	recent := e.create(task("backup"))
	e.finish(recent.ID, "", arca.TaskSucceeded)

	n, err := e.s.DeleteTasksEndedBefore(e.ctx, cutoff)
	if err != nil {
		t.Fatalf("DeleteTasksEndedBefore: %v", err)
	}
	if n != 3 {
		t.Errorf("deleted %d tasks, want 3 (a task, and a batch with its job)", n)
	}
	want := []string{openBatch.ID, openJob.ID, unfinished.ID, recent.ID}
	if d := cmp.Diff(want, e.remaining()); d != "" {
		t.Errorf("tasks left (-want +got):\n%s", d)
	}
	if n, err := e.s.DeleteTasksEndedBefore(e.ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second DeleteTasksEndedBefore = %d, %v; want 0", n, err)
	}
	later := e.now.Add(time.Hour)
	if n, err := e.s.DeleteTasksEndedBefore(e.ctx, later); err != nil || n != 1 {
		t.Errorf("DeleteTasksEndedBefore(later) = %d, %v; want 1 (the recent task)", n, err)
	}
	if got := e.remaining(); slices.Contains(got, recent.ID) || len(got) != 3 {
		t.Errorf("tasks left = %v, want the open batch, its job and the unfinished task", got)
	}
}
