package catalogtest

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var idempotencyTests = []test{
	{"ReplayAndMismatch", testIdempotencyReplay},
	{"BeforeExclusivity", testIdempotencyBeforeExclusivity},
	{"Concurrent", testIdempotencyConcurrent},
}

func idem(tenant, key, hash string) catalog.CreateTask {
	return catalog.CreateTask{Task: arca.Task{Operation: "backup", Tenant: tenant}, IdempotencyKey: key, RequestHash: hash}
}

func testIdempotencyReplay(t *testing.T, open Opener) {
	e := newEnv(t, open)
	first := e.create(idem("acme", "k1", "h1"))
	stored := e.get(first.ID)
	tests := []struct {
		name     string
		c        catalog.CreateTask
		replayed bool
		code     arca.Code
	}{
		{"same key and request", idem("acme", "k1", "h1"), true, ""},
		{"same key, other request", idem("acme", "k1", "h2"), false, arca.CodeIdempotencyKeyReused},
		{"same key, other tenant", idem("other", "k1", "h2"), false, ""},
		{"other key", idem("acme", "k2", "h1"), false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, replayed, err := e.s.CreateTask(e.ctx, e.prepare(tc.c))
			if tc.code != "" {
				ae := wantError(t, err, tc.code, "k1")
				if ae.Details["task_id"] != first.ID {
					t.Errorf("details = %v, want task_id %s", ae.Details, first.ID)
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateTask: %v", err)
			}
			if replayed != tc.replayed {
				t.Errorf("replayed = %v, want %v", replayed, tc.replayed)
			}
			if tc.replayed {
				if d := cmp.Diff(stored, got); d != "" {
					t.Errorf("replay returns the first task (-want +got):\n%s", d)
				}
			} else if got.ID == first.ID {
				t.Errorf("a new request got the first task %s", first.ID)
			}
		})
	}
}

// testIdempotencyBeforeExclusivity: a replay returns the task even though
// that task now holds the key the request asks for.
func testIdempotencyBeforeExclusivity(t *testing.T, open Opener) {
	e := newEnv(t, open)
	c := keyed("backup", "source:s1", false)
	c.IdempotencyKey, c.RequestHash = "k", "h"
	first := e.create(c)
	e.claimOne("w1", first.ID)
	got, replayed, err := e.s.CreateTask(e.ctx, e.prepare(c))
	if err != nil || !replayed || got.ID != first.ID {
		t.Errorf("replay of a running keyed task = %s, replayed %v, %v; want %s replayed", got.ID, replayed, err, first.ID)
	}
}

func testIdempotencyConcurrent(t *testing.T, open Opener) {
	e := newEnv(t, open)
	const n = 12
	type result struct {
		id       string
		replayed bool
		err      error
	}
	results := make([]result, n)
	cs := make([]catalog.CreateTask, n)
	for i := range cs {
		cs[i] = e.prepare(idem("acme", "same", "h"))
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			task, replayed, err := e.s.CreateTask(e.ctx, cs[i])
			results[i] = result{task.ID, replayed, err}
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("concurrent CreateTask: %v", r.err)
		}
		if !r.replayed {
			created++
		}
		if r.id != results[0].id {
			t.Errorf("concurrent creates returned tasks %s and %s", results[0].id, r.id)
		}
	}
	if created != 1 {
		t.Errorf("%d of %d concurrent creates with one key inserted a task, want 1", created, n)
	}
	all, err := e.s.ListTasks(e.ctx, catalog.TaskFilter{})
	if err != nil || len(all) != 1 {
		t.Errorf("tasks stored = %v, %v; want one", ids(all), err)
	}
}
