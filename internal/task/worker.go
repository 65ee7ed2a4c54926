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

// dispatchLoop claims queued tasks while this process has free workers.
func (e *Engine) dispatchLoop(ctx, runCtx context.Context) {
	defer e.wg.Done()
	ops := e.Operations()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-timer.C:
		}
		claimed := e.claim(ctx, runCtx, ops)
		if claimed > 0 {
			e.kick() // there may be more
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(e.opts.Poll)
	}
}

// claim claims up to the number of free workers and starts them.
func (e *Engine) claim(ctx, runCtx context.Context, ops []arca.Operation) int {
	e.mu.Lock()
	free := e.opts.Workers - len(e.runs)
	e.mu.Unlock()
	if free <= 0 || len(ops) == 0 {
		return 0
	}
	now := e.now()
	tasks, err := e.store.ClaimTasks(ctx, e.opts.WorkerID, ops, free, now, now.Add(e.opts.Lease))
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("claim tasks", "err", err)
		}
		return 0
	}
	for _, t := range tasks {
		e.start(runCtx, t)
	}
	return len(tasks)
}

// start runs a claimed task in its own goroutine.
func (e *Engine) start(runCtx context.Context, t arca.Task) {
	ctx, cancel := context.WithCancelCause(runCtx)
	r := &run{task: t, cancel: cancel, reporter: newReporter(e, t)}
	e.mu.Lock()
	e.runs[t.ID] = r
	e.mu.Unlock()
	if t.CancelRequested {
		cancel(ErrCancelRequested)
	}
	e.broker.publish(t)
	e.runWG.Add(1)
	go func() {
		defer e.runWG.Done()
		defer cancel(nil)
		e.execute(ctx, r)
	}()
}

// execute runs the handler and records the outcome.
func (e *Engine) execute(ctx context.Context, r *run) {
	t := r.task
	log := e.log.With("task", t.ID, "operation", t.Operation, "request_id", t.RequestID, "attempt", t.Attempt)
	log.Info("task started")
	out, err := e.callHandler(ctx, t, r.reporter)
	e.mu.Lock()
	delete(e.runs, t.ID)
	e.mu.Unlock()
	e.kick() // a worker is free: claim the next task now, not at the next poll
	fin := catalog.Finish{Progress: r.reporter.current(), Warnings: append(r.reporter.warnings(), out.Warnings...)}
	cause := context.Cause(ctx)
	switch {
	case err != nil && errors.Is(cause, ErrShutdown):
		e.interrupt(context.WithoutCancel(ctx), t, e.opts.WorkerID, "the server shut down while the task ran")
		return
	case err != nil && errors.Is(cause, ErrCancelRequested):
		fin.State = arca.TaskCanceled
		fin.Error = &arca.TaskError{Code: arca.CodeCanceled, Message: "The task was canceled on request."}
	case err != nil:
		fin.State = arca.TaskFailed
		fin.Error = taskError(err)
		log.Warn("task failed", "err", err)
	default:
		fin.State = arca.TaskSucceeded
		if out.Partial {
			fin.State = arca.TaskPartiallySucceeded
		}
		fin.ResultType = out.ResultType
		if out.Result != nil {
			b, merr := json.Marshal(out.Result)
			if merr != nil {
				fin.State, fin.Error = arca.TaskFailed, taskError(fmt.Errorf("encode result: %w", merr))
			}
			fin.Result = b
		}
		if fin.State == arca.TaskSucceeded || fin.State == arca.TaskPartiallySucceeded {
			fin.Progress.Percent = 100
			fin.Progress.ETA = 0
		}
	}
	e.finish(context.WithoutCancel(ctx), t, e.opts.WorkerID, fin)
	log.Info("task ended", "state", fin.State)
}

// callHandler runs the handler, turning a panic into an error.
func (e *Engine) callHandler(ctx context.Context, t arca.Task, r *Reporter) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return e.handlers[t.Operation].Run(ctx, t, r)
}

// taskError turns a handler error into the task's structured error. Unlike
// HTTP errors, an internal error's text is kept: it is the operator's best
// clue (handlers never put secrets in errors).
func taskError(err error) *arca.TaskError {
	var ae *arca.Error
	if errors.As(err, &ae) {
		return &arca.TaskError{Code: ae.Code, Message: ae.Message, Details: ae.Details}
	}
	if errors.Is(err, context.Canceled) {
		return &arca.TaskError{Code: arca.CodeCanceled, Message: "The task was canceled."}
	}
	return &arca.TaskError{Code: arca.CodeInternal, Message: err.Error()}
}

// finish records a terminal state, tells watchers and updates the parent.
func (e *Engine) finish(ctx context.Context, t arca.Task, worker string, f catalog.Finish) {
	done, err := e.store.FinishTask(ctx, t.ID, worker, f, e.now())
	if err != nil {
		e.log.Error("record task end", "task", t.ID, "state", f.State, "err", err)
		return
	}
	e.broker.publish(done)
	if done.ExclusiveKey != "" {
		e.kick() // a blocked task may have been queued
	}
	if done.Parent != "" {
		e.maybeFinishParent(ctx, done.Parent)
	}
}

// interrupt handles a task whose run was cut short (shutdown or a dead
// process): re-queued if its handler can resume, else failed INTERRUPTED.
// giver is the worker that gives the task up ("" for a rescue of an expired
// lease).
func (e *Engine) interrupt(ctx context.Context, t arca.Task, giver, why string) {
	h, known := e.handlers[t.Operation]
	if t.State == arca.TaskCanceling || t.CancelRequested {
		e.finish(ctx, t, t.Worker, catalog.Finish{State: arca.TaskCanceled, Progress: t.Progress,
			Error: &arca.TaskError{Code: arca.CodeCanceled, Message: "The task was canceled on request (" + why + ")."}})
		return
	}
	if known && h.Resumable {
		if err := e.store.RequeueTask(ctx, t.ID, giver, e.now()); err != nil {
			e.log.Error("requeue interrupted task", "task", t.ID, "err", err)
			return
		}
		e.log.Info("task requeued", "task", t.ID, "why", why)
		if fresh, err := e.store.GetTask(ctx, t.ID); err == nil {
			e.broker.publish(fresh)
		}
		e.kick()
		return
	}
	e.finish(ctx, t, t.Worker, catalog.Finish{State: arca.TaskFailed, Progress: t.Progress,
		Error: &arca.TaskError{Code: arca.CodeInterrupted,
			Message: fmt.Sprintf("The task was interrupted: %s (attempt %d). Start it again.", why, t.Attempt)}})
}

// maybeFinishParent ends a batch parent once all its children have ended,
// in the state derived from theirs; until then it refreshes its progress.
func (e *Engine) maybeFinishParent(ctx context.Context, id string) {
	p, err := e.store.GetTask(ctx, id)
	if err != nil || p.State.IsFinal() || p.Worker != "" {
		return
	}
	kids, err := e.store.ListTasks(ctx, catalog.TaskFilter{Parent: id, Limit: 1000})
	if err != nil || (len(kids) == 0 && p.State != arca.TaskRunning && p.State != arca.TaskCanceling) {
		return
	}
	states := make([]arca.TaskState, len(kids))
	progress := make([]arca.Progress, len(kids))
	for i, k := range kids {
		states[i], progress[i] = k.State, k.Progress
	}
	agg := arca.AggregateProgress(progress)
	state, done := arca.DeriveParentState(states)
	if !done {
		_ = e.store.UpdateProgress(ctx, id, arca.MergeProgress(p.Progress, agg), e.now())
		if fresh, err := e.store.GetTask(ctx, id); err == nil {
			e.broker.publish(fresh)
		}
		return
	}
	f := catalog.Finish{State: state, Progress: arca.MergeProgress(p.Progress, agg)}
	if state == arca.TaskFailed || state == arca.TaskCanceled {
		f.Error = &arca.TaskError{Code: arca.CodeInternal, Message: fmt.Sprintf("All %d jobs of the batch ended %s.", len(kids), state)}
		if state == arca.TaskCanceled {
			f.Error.Code = arca.CodeCanceled
		}
	}
	if state == arca.TaskPartiallySucceeded {
		f.Warnings = []string{summarise(states)}
	}
	done2, err := e.store.FinishTask(ctx, id, "", f, e.now())
	if err == nil {
		e.broker.publish(done2)
	}
}

func summarise(states []arca.TaskState) string {
	n := map[arca.TaskState]int{}
	for _, s := range states {
		n[s]++
	}
	return fmt.Sprintf("%d of %d jobs succeeded, %d failed, %d canceled, %d partially succeeded",
		n[arca.TaskSucceeded], len(states), n[arca.TaskFailed], n[arca.TaskCanceled], n[arca.TaskPartiallySucceeded])
}
