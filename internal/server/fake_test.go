package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/task"
)

// fakeTasks stands in for the task engine at the seam under test: the HTTP
// layer. End-to-end tests in cmd/arca run the real engine.
type fakeTasks struct {
	mu     sync.Mutex
	tasks  map[string]arca.Task
	keys   map[string]string // idempotency key -> request hash
	specs  []task.Spec
	events chan task.Event
	now    time.Time
	// waiting, when set, makes Wait block until its context ends, after
	// telling the channel it waits.
	waiting chan struct{}
}

func newFakeTasks() *fakeTasks {
	return &fakeTasks{tasks: map[string]arca.Task{}, keys: map[string]string{},
		now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (f *fakeTasks) add(t arca.Task) arca.Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.ID == "" {
		f.now = f.now.Add(time.Millisecond)
		t.ID = arca.NewID(f.now)
	}
	if t.Tenant == "" {
		t.Tenant = arca.DefaultTenant
	}
	if t.State == "" {
		t.State = arca.TaskQueued
	}
	f.tasks[t.ID] = t
	return t
}

// SubmitBatch is not used by the tests of this fake: the batch route is
// tested end to end with the real engine.
func (f *fakeTasks) SubmitBatch(context.Context, task.Spec, []task.Spec) (arca.Task, []arca.Task, bool, error) {
	return arca.Task{}, nil, false, errors.New("fakeTasks: SubmitBatch not supported")
}

func (f *fakeTasks) Submit(_ context.Context, s task.Spec) (arca.Task, bool, error) {
	f.mu.Lock()
	f.specs = append(f.specs, s)
	if s.IdempotencyKey != "" {
		if h, ok := f.keys[s.IdempotencyKey]; ok {
			f.mu.Unlock()
			if h != s.RequestHash {
				return arca.Task{}, false, catalog.IdempotencyKeyReused(s.IdempotencyKey, "x")
			}
			for _, t := range f.tasks {
				if t.Operation == s.Operation {
					return t, true, nil
				}
			}
		}
		f.keys[s.IdempotencyKey] = s.RequestHash
	}
	f.mu.Unlock()
	t := f.add(arca.Task{Tenant: s.Tenant, Operation: s.Operation, Target: s.Target, RequestID: s.RequestID,
		CreatedBy: s.CreatedBy, Params: s.Params, Cancelable: true})
	return t, false, nil
}

func (f *fakeTasks) Get(_ context.Context, id string) (arca.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tasks[id]
	if !ok {
		return arca.Task{}, catalog.TaskNotFound(id)
	}
	return t, nil
}

func (f *fakeTasks) List(_ context.Context, flt catalog.TaskFilter) ([]arca.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []arca.Task
	for _, t := range f.tasks {
		if flt.Tenant == "" || flt.Tenant == t.Tenant {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeTasks) Cancel(ctx context.Context, id string) (arca.Task, error) {
	t, err := f.Get(ctx, id)
	if err != nil {
		return t, err
	}
	if t.State.IsFinal() {
		return t, catalog.NotAllowed(id, t.State, "be canceled")
	}
	t.State = arca.TaskCanceled
	return f.add(t), nil
}

func (f *fakeTasks) Delete(ctx context.Context, id string) error {
	t, err := f.Get(ctx, id)
	if err != nil {
		return err
	}
	if !t.State.IsFinal() {
		return catalog.NotAllowed(id, t.State, "be deleted")
	}
	f.mu.Lock()
	delete(f.tasks, id)
	f.mu.Unlock()
	return nil
}

func (f *fakeTasks) Wait(ctx context.Context, id string, _ time.Duration) (arca.Task, error) {
	if f.waiting != nil {
		f.waiting <- struct{}{}
		<-ctx.Done()
	}
	return f.Get(context.WithoutCancel(ctx), id)
}

func (f *fakeTasks) Watch(ctx context.Context, id string, after int64) (<-chan task.Event, error) {
	t, err := f.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.events != nil {
		return f.events, nil
	}
	ch := make(chan task.Event, 1)
	ch <- task.Event{Seq: after + 1, Task: t}
	close(ch)
	return ch, nil
}

// fakeAuth accepts the tokens in its map.
type fakeAuth map[string]arca.Principal

func (a fakeAuth) Authenticate(_ context.Context, token string) (arca.Principal, error) {
	p, ok := a[token]
	if !ok {
		return arca.Principal{}, arca.Errorf(arca.CodeUnauthenticated, "bad token")
	}
	return p, nil
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }
