package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// FinishTask moves an unfinished task to a terminal state, releases its
// exclusivity key and queues the oldest task blocked on it.
func (db *DB) FinishTask(ctx context.Context, id, worker string, f catalog.Finish, now time.Time) (arca.Task, error) {
	if err := catalog.CheckFinish(f); err != nil {
		return arca.Task{}, err
	}
	progress, err := catalog.JSONValue(f.Progress)
	if err != nil {
		return arca.Task{}, err
	}
	taskErr, err := catalog.JSONValue(f.Error)
	if err != nil {
		return arca.Task{}, err
	}
	warnings, err := catalog.JSONValue(f.Warnings)
	if err != nil {
		return arca.Task{}, err
	}
	var out arca.Task
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := getTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.State.IsFinal() {
			return catalog.NotAllowed(id, t.State, "finish again")
		}
		if worker != "" && t.Worker != worker {
			return catalog.NotHolder(id, worker, t.Worker)
		}
		_, err = tx.ExecContext(ctx, `UPDATE tasks SET state = ?, result = ?, result_type = ?, error = ?,
			warnings = ?, progress = ?, ended_at = ?, updated_at = ?, lease_until = NULL, blocked_reason = ''
			WHERE id = ?`, string(f.State), catalog.RawJSON(f.Result), f.ResultType, taskErr, warnings, progress,
			ts(now), ts(now), id)
		if err != nil {
			return fmt.Errorf("finish task %s: %w", id, err)
		}
		if err := releaseLock(ctx, tx, t, now); err != nil {
			return err
		}
		out, err = getTask(ctx, tx, id)
		return err
	})
	return out, err
}

// RequestCancel cancels a task and its unfinished descendants: queued and
// blocked ones end canceled, running ones move to canceling.
func (db *DB) RequestCancel(ctx context.Context, id string, now time.Time) (arca.Task, error) {
	var out arca.Task
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := getTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.State.IsFinal() {
			return catalog.NotAllowed(id, t.State, "be canceled")
		}
		ids, err := subtree(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, tid := range ids {
			if err := cancelOne(ctx, tx, tid, now); err != nil {
				return err
			}
		}
		out, err = getTask(ctx, tx, id)
		return err
	})
	return out, err
}

// subtree returns id and the ids of all its descendants, parents first.
func subtree(ctx context.Context, q querier, id string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE sub(id, depth) AS (
			SELECT id, 0 FROM tasks WHERE id = ?
			UNION ALL SELECT t.id, sub.depth + 1 FROM tasks t JOIN sub ON t.parent = sub.id)
		SELECT id FROM sub ORDER BY depth, id`, id)
	if err != nil {
		return nil, fmt.Errorf("list descendants of task %s: %w", id, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		ids = append(ids, s)
	}
	return ids, rows.Err()
}

// cancelOne applies a cancel request to one task as it is now: an earlier
// step may have promoted it from blocked to queued.
func cancelOne(ctx context.Context, tx *sql.Tx, id string, now time.Time) error {
	t, err := getTask(ctx, tx, id)
	if err != nil {
		return err
	}
	switch t.State {
	case arca.TaskQueued, arca.TaskBlocked:
		_, err = tx.ExecContext(ctx, `UPDATE tasks SET state = 'canceled', cancel_requested = 1,
			blocked_reason = '', ended_at = ?, updated_at = ?, lease_until = NULL WHERE id = ?`, ts(now), ts(now), id)
		if err == nil {
			err = releaseLock(ctx, tx, t, now)
		}
	case arca.TaskRunning, arca.TaskCanceling:
		_, err = tx.ExecContext(ctx, `UPDATE tasks SET state = 'canceling', cancel_requested = 1, updated_at = ?
			WHERE id = ?`, ts(now), id)
	}
	if err != nil {
		return fmt.Errorf("cancel task %s: %w", id, err)
	}
	return nil
}

// releaseLock drops the exclusivity key t holds, if it holds one, and hands
// it to the oldest task blocked on it, which becomes queued.
func releaseLock(ctx context.Context, tx *sql.Tx, t arca.Task, now time.Time) error {
	if t.ExclusiveKey == "" {
		return nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM task_locks WHERE key = ? AND task_id = ?`, t.ExclusiveKey, t.ID)
	if err != nil {
		return fmt.Errorf("release lock %q: %w", t.ExclusiveKey, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	var next string
	err = tx.QueryRowContext(ctx, `SELECT id FROM tasks WHERE state = 'blocked' AND exclusive_key = ?
		ORDER BY id LIMIT 1`, t.ExclusiveKey).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find task waiting for %q: %w", t.ExclusiveKey, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET state = 'queued', blocked_reason = '', updated_at = ?
		WHERE id = ?`, ts(now), next); err != nil {
		return fmt.Errorf("queue task %s: %w", next, err)
	}
	return takeLock(ctx, tx, t.ExclusiveKey, next)
}
