package task

import (
	"context"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// heartbeatLoop renews the leases of the tasks running here and learns of
// cancels requested through other processes.
func (e *Engine) heartbeatLoop(ctx context.Context) {
	defer e.wg.Done()
	tick := time.NewTicker(e.opts.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			e.heartbeat(ctx)
		}
	}
}

func (e *Engine) heartbeat(ctx context.Context) {
	e.mu.Lock()
	ids := make([]string, 0, len(e.runs))
	for id := range e.runs {
		ids = append(ids, id)
	}
	e.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	canceled, err := e.store.Heartbeat(ctx, e.opts.WorkerID, ids, e.now().Add(e.opts.Lease))
	if err != nil {
		e.log.Error("heartbeat", "err", err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range canceled {
		if r, ok := e.runs[id]; ok {
			r.cancel(ErrCancelRequested)
		}
	}
}

// maintenanceLoop rescues expired leases and deletes old finished tasks.
func (e *Engine) maintenanceLoop(ctx context.Context) {
	defer e.wg.Done()
	rescue := time.NewTicker(e.opts.Lease / 2)
	defer rescue.Stop()
	retain := time.NewTicker(time.Hour)
	defer retain.Stop()
	e.retain(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-rescue.C:
			if err := e.rescue(ctx, false); err != nil && ctx.Err() == nil {
				e.log.Error("rescue expired tasks", "err", err)
			}
		case <-retain.C:
			e.retain(ctx)
		}
	}
}

// rescue handles tasks whose lease expired (all running tasks when all is
// set, at the start of a single-process engine), then batch parents whose
// children all ended while no process was watching.
func (e *Engine) rescue(ctx context.Context, all bool) error {
	expired, err := e.store.ExpiredTasks(ctx, e.now(), all)
	if err != nil {
		return err
	}
	for _, t := range expired {
		e.mu.Lock()
		_, mine := e.runs[t.ID]
		e.mu.Unlock()
		if mine {
			continue
		}
		e.log.Warn("rescuing task whose worker is gone", "task", t.ID, "operation", t.Operation, "worker", t.Worker)
		giver := "" // the lease expired
		if all {
			giver = t.Worker // nobody else can hold it: take over for the dead process
		}
		e.interrupt(ctx, t, giver, "its worker stopped (process crashed or was killed)")
	}
	parents, err := e.store.ListTasks(ctx, catalog.TaskFilter{
		States: []arca.TaskState{arca.TaskRunning, arca.TaskCanceling}, Limit: 1000})
	if err != nil {
		return err
	}
	for _, p := range parents {
		if p.Worker == "" {
			e.maybeFinishParent(ctx, p.ID)
		}
	}
	return nil
}

// retain deletes finished tasks older than the retention period.
func (e *Engine) retain(ctx context.Context) {
	n, err := e.store.DeleteTasksEndedBefore(ctx, e.now().Add(-e.opts.Retention))
	e.done.deleted()
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("delete old tasks", "err", err)
		}
		return
	}
	if n > 0 {
		e.log.Info("deleted finished tasks past retention", "count", n, "retention", e.opts.Retention.String())
	}
}

// flushLoop persists progress of running tasks at most once per interval.
func (e *Engine) flushLoop(ctx context.Context) {
	defer e.wg.Done()
	tick := time.NewTicker(e.opts.ProgressInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			e.flushAll(ctx)
		}
	}
}

func (e *Engine) flushAll(ctx context.Context) {
	e.mu.Lock()
	reps := make([]*Reporter, 0, len(e.runs))
	for _, r := range e.runs {
		reps = append(reps, r.reporter)
	}
	e.mu.Unlock()
	parents := map[string]bool{}
	for _, r := range reps {
		if r.flush(ctx) && r.task.Parent != "" {
			parents[r.task.Parent] = true
		}
	}
	for p := range parents {
		e.maybeFinishParent(ctx, p)
	}
}
