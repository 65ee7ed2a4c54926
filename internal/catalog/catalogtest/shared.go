package catalogtest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// sharedTasks is how many tasks ClaimOnce has claimed.
const sharedTasks = 120

// ClaimOnce checks that several handles on one catalog (as several
// processes would hold) never claim a task twice: it creates 120 tasks
// through them and has 8 goroutines, spread over the handles, claim them all.
func ClaimOnce(t *testing.T, stores ...catalog.Store) {
	t.Helper()
	ctx := t.Context()
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	var want []string
	for i := range sharedTasks {
		created := now.Add(time.Duration(i) * time.Millisecond)
		task, _, err := stores[i%len(stores)].CreateTask(ctx, catalog.CreateTask{Task: arca.Task{Operation: "backup", CreatedAt: created}})
		if err != nil {
			t.Fatalf("CreateTask: %v", err)
		}
		want = append(want, task.ID)
	}
	const workers = 8
	claimed := make([][]string, workers)
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			s, worker := stores[w%len(stores)], fmt.Sprintf("p%d-w%d", w%len(stores), w)
			errs[w] = claimUntilEmpty(t, s, worker, now, &claimed[w])
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
		t.Errorf("claimed tasks, each once (-want +got):\n%s", d)
	}
	for i, s := range stores {
		tasks, err := s.ListTasks(ctx, catalog.TaskFilter{States: []arca.TaskState{arca.TaskQueued}})
		if err != nil || len(tasks) != 0 {
			t.Errorf("handle %d sees %d queued tasks, %v; want none", i, len(tasks), err)
		}
	}
}

func claimUntilEmpty(t *testing.T, s catalog.Store, worker string, now time.Time, out *[]string) error {
	for {
		got, err := s.ClaimTasks(t.Context(), worker, []arca.Operation{"backup"}, 3, now, now.Add(time.Minute))
		if err != nil || len(got) == 0 {
			return err
		}
		for _, task := range got {
			if task.Worker != worker || task.Attempt != 1 {
				return fmt.Errorf("task %s claimed by %s: worker %q, attempt %d", task.ID, worker, task.Worker, task.Attempt)
			}
			*out = append(*out, task.ID)
		}
	}
}
