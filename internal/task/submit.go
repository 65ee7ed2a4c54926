package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// Spec describes a task to create.
type Spec struct {
	Tenant       string
	Operation    arca.Operation
	Target       arca.Target
	Params       json.RawMessage
	Parent       string // set by SubmitBatch for its children
	ExclusiveKey string
	// WaitForKey: when ExclusiveKey is held, wait blocked instead of being
	// refused with FEATURE_IN_USE.
	WaitForKey     bool
	CreatedBy      string
	RequestID      string
	IdempotencyKey string
	RequestHash    string
}

func (e *Engine) newTask(s Spec) arca.Task {
	tenant := s.Tenant
	if tenant == "" {
		tenant = arca.DefaultTenant
	}
	now := e.now()
	return arca.Task{
		ID: arca.NewID(now), Tenant: tenant, Operation: s.Operation, Target: s.Target,
		Parent: s.Parent, Params: s.Params, ExclusiveKey: s.ExclusiveKey, Cancelable: true,
		CreatedBy: s.CreatedBy, RequestID: s.RequestID, CreatedAt: now, UpdatedAt: now,
	}
}

func (e *Engine) checkOperation(op arca.Operation) error {
	if _, ok := e.handlers[op]; !ok {
		return arca.Errorf(arca.CodeInvalidArgument, "unknown operation %q", op)
	}
	return nil
}

// Submit creates a task and returns it at once, queued (or blocked behind
// the holder of its exclusivity key). replayed reports an idempotent replay.
func (e *Engine) Submit(ctx context.Context, s Spec) (arca.Task, bool, error) {
	if err := e.checkOperation(s.Operation); err != nil {
		return arca.Task{}, false, err
	}
	t, replayed, err := e.store.CreateTask(ctx, catalog.CreateTask{
		Task: e.newTask(s), WaitForKey: s.WaitForKey,
		IdempotencyKey: s.IdempotencyKey, RequestHash: s.RequestHash,
	})
	if err != nil {
		return arca.Task{}, false, fmt.Errorf("create %s task: %w", s.Operation, err)
	}
	if !replayed {
		e.log.InfoContext(ctx, "task created", "task", t.ID, "operation", t.Operation, "request_id", t.RequestID, "state", t.State)
		e.broker.publish(t)
		e.kick()
	}
	return t, replayed, nil
}

// SubmitBatch creates a parent task whose state derives from its children,
// and one child per spec. If a child cannot be created, the parent and the
// children created so far are canceled and the error returned.
func (e *Engine) SubmitBatch(ctx context.Context, parent Spec, children []Spec) (arca.Task, []arca.Task, bool, error) {
	for _, c := range children {
		if err := e.checkOperation(c.Operation); err != nil {
			return arca.Task{}, nil, false, err
		}
	}
	p, replayed, err := e.store.CreateTask(ctx, catalog.CreateTask{
		Task: e.newTask(parent), StartRunning: true,
		IdempotencyKey: parent.IdempotencyKey, RequestHash: parent.RequestHash,
	})
	if err != nil {
		return arca.Task{}, nil, false, fmt.Errorf("create batch task: %w", err)
	}
	if replayed {
		kids, err := e.store.ListTasks(ctx, catalog.TaskFilter{Parent: p.ID, Limit: 1000})
		return p, kids, true, err
	}
	kids := make([]arca.Task, 0, len(children))
	for _, c := range children {
		c.Parent, c.Tenant, c.RequestID, c.CreatedBy = p.ID, p.Tenant, p.RequestID, p.CreatedBy
		c.IdempotencyKey, c.RequestHash = "", ""
		k, _, err := e.store.CreateTask(ctx, catalog.CreateTask{Task: e.newTask(c), WaitForKey: c.WaitForKey})
		if err != nil {
			_, _ = e.Cancel(context.WithoutCancel(ctx), p.ID)
			return arca.Task{}, nil, false, fmt.Errorf("create job %d of batch %s: %w", len(kids)+1, p.ID, err)
		}
		kids = append(kids, k)
	}
	e.log.InfoContext(ctx, "batch created", "task", p.ID, "operation", p.Operation, "jobs", len(kids), "request_id", p.RequestID)
	e.broker.publish(p)
	if len(kids) == 0 {
		e.maybeFinishParent(ctx, p.ID)
	}
	e.kick()
	return p, kids, false, nil
}

// Get returns a task.
func (e *Engine) Get(ctx context.Context, id string) (arca.Task, error) {
	if err := arca.CheckID("task", id); err != nil {
		return arca.Task{}, err
	}
	now := e.now()
	if t, ok := e.done.get(id, now); ok {
		return t, nil
	}
	gen := e.done.begin()
	t, err := e.store.GetTask(ctx, id)
	if err == nil {
		e.done.put(t, gen, now)
	}
	return t, err
}

// List returns tasks matching f.
func (e *Engine) List(ctx context.Context, f catalog.TaskFilter) ([]arca.Task, error) {
	return e.store.ListTasks(ctx, f)
}

// Cancel requests cancellation of a task and its unfinished children. The
// request is recorded at once; a running handler sees its context canceled
// (here at once, in another process at its next heartbeat).
func (e *Engine) Cancel(ctx context.Context, id string) (arca.Task, error) {
	if err := arca.CheckID("task", id); err != nil {
		return arca.Task{}, err
	}
	t, err := e.store.RequestCancel(ctx, id, e.now())
	if err != nil {
		return arca.Task{}, err
	}
	e.log.InfoContext(ctx, "cancel requested", "task", id, "state", t.State)
	e.mu.Lock()
	for _, r := range e.runs {
		if r.task.ID == id || r.task.Parent == id {
			r.cancel(ErrCancelRequested)
		}
	}
	e.mu.Unlock()
	e.publishFamily(ctx, t)
	if t.Parent != "" {
		e.maybeFinishParent(ctx, t.Parent)
	}
	e.maybeFinishParent(ctx, t.ID)
	if fresh, err := e.store.GetTask(ctx, id); err == nil {
		t = fresh
	}
	return t, nil
}

// publishFamily pushes the current state of t and its children to watchers.
func (e *Engine) publishFamily(ctx context.Context, t arca.Task) {
	e.broker.publish(t)
	kids, err := e.store.ListTasks(ctx, catalog.TaskFilter{Parent: t.ID, Limit: 1000})
	if err != nil {
		return
	}
	for _, k := range kids {
		e.broker.publish(k)
	}
}

// Delete deletes a finished task (and its children).
func (e *Engine) Delete(ctx context.Context, id string) error {
	if err := arca.CheckID("task", id); err != nil {
		return err
	}
	err := e.store.DeleteTask(ctx, id)
	e.done.deleted()
	return err
}

// Wait returns the task when it has ended, or its latest state after max (or
// when ctx ends, whichever comes first). It may return early.
func (e *Engine) Wait(ctx context.Context, id string, max time.Duration) (arca.Task, error) {
	t, err := e.Get(ctx, id)
	if err != nil || t.State.IsFinal() || max <= 0 {
		return t, err
	}
	wctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	events, err := e.Watch(wctx, id, 0)
	if err != nil {
		return t, err
	}
	for ev := range events {
		t = ev.Task
	}
	if !t.State.IsFinal() {
		if fresh, err := e.store.GetTask(context.WithoutCancel(ctx), id); err == nil {
			t = fresh
		} else if !errors.Is(err, arca.ErrNotFound) {
			return t, err
		}
	}
	return t, nil
}
