package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// ClaimTasks moves up to limit queued tasks of ops to running under worker's
// lease. The single write connection serialises claimers, so no task is
// claimed twice. No operations or a limit below 1 claim nothing.
func (db *DB) ClaimTasks(ctx context.Context, worker string, ops []arca.Operation, limit int, now, leaseUntil time.Time) ([]arca.Task, error) {
	if len(ops) == 0 || limit < 1 {
		return nil, nil
	}
	params := []any{worker, ts(leaseUntil), ts(now), ts(now)}
	params = append(params, args(ops)...)
	params = append(params, limit)
	var out []arca.Task
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE tasks SET state = 'running', worker = ?, lease_until = ?,
			started_at = coalesce(started_at, ?), attempt = attempt + 1, updated_at = ?
			WHERE id IN (SELECT t.id FROM tasks t
				WHERE t.state = 'queued' AND t.operation IN (`+placeholders(len(ops))+`)
				AND (t.exclusive_key = '' OR NOT EXISTS (
					SELECT 1 FROM task_locks l WHERE l.key = t.exclusive_key AND l.task_id <> t.id))
				ORDER BY t.id LIMIT ?)
			RETURNING `+taskColumns, params...)
		if err != nil {
			return err
		}
		out, err = collectTasks(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim tasks for %s: %w", worker, err)
	}
	slices.SortFunc(out, func(a, b arca.Task) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Heartbeat extends the lease of the running or canceling tasks among ids
// that worker holds and returns those whose cancel was requested.
func (db *DB) Heartbeat(ctx context.Context, worker string, ids []string, leaseUntil time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	params := append([]any{ts(leaseUntil), worker}, args(ids)...)
	var canceled []string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE tasks SET lease_until = ?
			WHERE worker = ? AND state IN ('running', 'canceling') AND id IN (`+placeholders(len(ids))+`)
			RETURNING id, cancel_requested`, params...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var cancel bool
			if err := rows.Scan(&id, &cancel); err != nil {
				return err
			}
			if cancel {
				canceled = append(canceled, id)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("heartbeat of %s: %w", worker, err)
	}
	slices.Sort(canceled)
	return canceled, nil
}

// UpdateProgress records the progress of an unfinished task.
func (db *DB) UpdateProgress(ctx context.Context, id string, p arca.Progress, now time.Time) error {
	progress, err := catalog.JSONValue(p)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tasks SET progress = ?, updated_at = ?
			WHERE id = ? AND state NOT IN `+terminalList, progress, ts(now), id)
		if err != nil {
			return fmt.Errorf("update progress of task %s: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		t, err := getTask(ctx, tx, id)
		if err != nil {
			return err
		}
		return catalog.NotAllowed(id, t.State, "report progress")
	})
}

// terminalList is the SQL list of terminal states.
const terminalList = `('succeeded', 'partially_succeeded', 'failed', 'canceled')`
