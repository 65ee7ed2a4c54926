package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// ExpiredTasks returns the running or canceling tasks held by a worker whose
// lease ended before now (every one of them with anyLease), ordered by id.
func (db *DB) ExpiredTasks(ctx context.Context, now time.Time, anyLease bool) ([]arca.Task, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE state IN ('running', 'canceling') AND worker <> ''
		AND (? OR (lease_until IS NOT NULL AND lease_until < ?)) ORDER BY id`, anyLease, ts(now))
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
// still valid at now means its worker may still run it: that is refused.
func (db *DB) RequeueTask(ctx context.Context, id, worker string, now time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := getTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.State != arca.TaskRunning {
			return catalog.NotAllowed(id, t.State, "be requeued (only a running task can)")
		}
		if worker != "" && t.Worker != worker {
			return catalog.NotHolder(id, worker, t.Worker)
		}
		if worker == "" && t.LeaseUntil != nil && !t.LeaseUntil.Before(catalog.DBTime(now)) {
			return catalog.LeaseHeld(id, t.Worker, *t.LeaseUntil)
		}
		_, err = tx.ExecContext(ctx, `UPDATE tasks SET state = 'queued', worker = '', lease_until = NULL,
			updated_at = ? WHERE id = ?`, ts(now), id)
		if err != nil {
			return fmt.Errorf("requeue task %s: %w", id, err)
		}
		return nil
	})
}

// DeleteTask deletes a terminal task and its descendants, all of which must
// be terminal.
func (db *DB) DeleteTask(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := getTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if !t.State.IsFinal() {
			return catalog.NotAllowed(id, t.State, "be deleted before it ends")
		}
		var open sql.NullString
		err = tx.QueryRowContext(ctx, `WITH RECURSIVE sub(id) AS (
				SELECT id FROM tasks WHERE parent = ?
				UNION ALL SELECT t.id FROM tasks t JOIN sub ON t.parent = sub.id)
			SELECT min(t.id) FROM tasks t JOIN sub ON sub.id = t.id WHERE t.state NOT IN `+terminalList,
			id).Scan(&open)
		if err != nil {
			return fmt.Errorf("check descendants of task %s: %w", id, err)
		}
		if open.Valid {
			return arca.Errorf(arca.CodeNotAllowedInState,
				"Task %s has an unfinished descendant, task %s: it cannot be deleted before that ends.", id, open.String)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tasks WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete task %s: %w", id, err)
		}
		return nil
	})
}

// retentionTree selects, for every top-level terminal task that ended before
// the cutoff, the ids of its tree (root, id, state).
const retentionTree = `WITH RECURSIVE sub(root, id, state) AS (
		SELECT id, id, state FROM tasks
		WHERE parent IS NULL AND ended_at < ? AND state IN ` + terminalList + `
		UNION ALL SELECT sub.root, t.id, t.state FROM tasks t JOIN sub ON t.parent = sub.id),
	done(root, n) AS (
		SELECT root, count(*) FROM sub GROUP BY root
		HAVING sum(CASE WHEN state IN ` + terminalList + ` THEN 0 ELSE 1 END) = 0)`

// DeleteTasksEndedBefore deletes the terminal top-level tasks that ended
// before t, with their children (a batch goes as a whole, once all of it
// has ended), and returns how many tasks were deleted in all.
func (db *DB) DeleteTasksEndedBefore(ctx context.Context, t time.Time) (int, error) {
	var n int
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var total sql.NullInt64
		if err := tx.QueryRowContext(ctx, retentionTree+` SELECT sum(n) FROM done`, ts(t)).Scan(&total); err != nil {
			return err
		}
		if total.Int64 == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, retentionTree+` DELETE FROM tasks WHERE id IN (SELECT root FROM done)`,
			ts(t)); err != nil {
			return err
		}
		n = int(total.Int64)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete tasks ended before %s: %w", ts(t), err)
	}
	return n, nil
}
