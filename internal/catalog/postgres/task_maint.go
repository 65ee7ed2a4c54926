package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// ExpiredTasks returns the running or canceling tasks held by a worker whose
// lease ended before now (every one of them with anyLease), ordered by id.
func (db *DB) ExpiredTasks(ctx context.Context, now time.Time, anyLease bool) ([]arca.Task, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE state IN ('running', 'canceling') AND worker <> ''
		AND ($1 OR lease_until < $2) ORDER BY id`, anyLease, ts(now))
	if err != nil {
		return nil, fmt.Errorf("list expired tasks: %w", err)
	}
	tasks, err := collectTasks(rows)
	if err != nil {
		return nil, fmt.Errorf("list expired tasks: %w", err)
	}
	return tasks, nil
}

// RequeueTask moves a running task back to queued, without a worker. Given
// a worker, the task must be held by it. Without one (a rescue), a lease
// still valid at now means its worker may still run it (it may have
// renewed the lease since the caller looked): that is refused.
func (db *DB) RequeueTask(ctx context.Context, id, worker string, now time.Time) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		t, err := lockTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.State != arca.TaskRunning {
			return catalog.NotAllowed(id, t.State, "be requeued (only a running task can)")
		}
		if worker != "" && t.Worker != worker {
			return catalog.NotHolder(id, worker, t.Worker)
		}
		if worker == "" && t.LeaseUntil != nil && !t.LeaseUntil.Before(ts(now)) {
			return catalog.LeaseHeld(id, t.Worker, *t.LeaseUntil)
		}
		_, err = tx.Exec(ctx, `UPDATE tasks SET state = 'queued', worker = '', lease_until = NULL,
			updated_at = $1 WHERE id = $2`, ts(now), id)
		if err != nil {
			return fmt.Errorf("requeue task %s: %w", id, err)
		}
		return nil
	})
}

// DeleteTask deletes a terminal task and its descendants, all of which must
// be terminal.
func (db *DB) DeleteTask(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		t, err := lockTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if !t.State.IsFinal() {
			return catalog.NotAllowed(id, t.State, "be deleted before it ends")
		}
		var open *string
		err = tx.QueryRow(ctx, `WITH RECURSIVE sub(id) AS (
				SELECT id FROM tasks WHERE parent = $1
				UNION ALL SELECT t.id FROM tasks t JOIN sub ON t.parent = sub.id)
			SELECT min(t.id) FROM tasks t JOIN sub ON sub.id = t.id WHERE t.state NOT IN `+terminalList,
			id).Scan(&open)
		if err != nil {
			return fmt.Errorf("check descendants of task %s: %w", id, err)
		}
		if open != nil {
			return arca.Errorf(arca.CodeNotAllowedInState,
				"Task %s has an unfinished descendant, task %s: it cannot be deleted before that ends.", id, *open)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tasks WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete task %s: %w", id, err)
		}
		return nil
	})
}

// DeleteTasksEndedBefore deletes the terminal top-level tasks that ended
// before t, with their children (a batch goes as a whole, once all of it
// has ended), and returns how many tasks were deleted in all.
func (db *DB) DeleteTasksEndedBefore(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `WITH RECURSIVE sub(root, id, state) AS (
				SELECT id, id, state FROM tasks
				WHERE parent IS NULL AND ended_at < $1 AND state IN `+terminalList+`
				UNION ALL SELECT sub.root, t.id, t.state FROM tasks t JOIN sub ON t.parent = sub.id),
			done(root, n) AS (
				SELECT root, count(*) FROM sub GROUP BY root
				HAVING bool_and(state IN `+terminalList+`)),
			deleted AS (DELETE FROM tasks WHERE id IN (SELECT root FROM done) RETURNING id)
			SELECT coalesce(sum(n), 0)::bigint FROM done WHERE root IN (SELECT id FROM deleted)`, ts(t)).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("delete tasks ended before %s: %w", ts(t).Format(time.RFC3339Nano), err)
	}
	return int(n), nil
}
