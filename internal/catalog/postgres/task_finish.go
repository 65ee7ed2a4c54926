package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		t, err := lockTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.State.IsFinal() {
			return catalog.NotAllowed(id, t.State, "finish again")
		}
		if worker != "" && t.Worker != worker {
			return catalog.NotHolder(id, worker, t.Worker)
		}
		_, err = tx.Exec(ctx, `UPDATE tasks SET state = $1, result = $2, result_type = $3, error = $4,
			warnings = $5, progress = $6, ended_at = $7, updated_at = $7, lease_until = NULL, blocked_reason = ''
			WHERE id = $8`, string(f.State), catalog.RawJSON(f.Result), f.ResultType, taskErr, warnings, progress,
			ts(now), id)
		if err != nil {
			return fmt.Errorf("finish task %s: %w", id, err)
		}
		if err := releaseLock(ctx, tx, t, now); err != nil {
			return err
		}
		out, err = getTask(ctx, tx, id, "")
		return err
	})
	return out, err
}

// RequestCancel cancels a task and its unfinished descendants: queued and
// blocked ones end canceled, running ones move to canceling.
func (db *DB) RequestCancel(ctx context.Context, id string, now time.Time) (arca.Task, error) {
	var out arca.Task
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		t, err := lockTask(ctx, tx, id)
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
		out, err = getTask(ctx, tx, id, "")
		return err
	})
	return out, err
}

// subtree returns id and the ids of all its descendants, parents first.
func subtree(ctx context.Context, tx pgx.Tx, id string) ([]string, error) {
	rows, err := tx.Query(ctx, `WITH RECURSIVE sub(id, depth) AS (
			SELECT id, 0 FROM tasks WHERE id = $1
			UNION ALL SELECT t.id, sub.depth + 1 FROM tasks t JOIN sub ON t.parent = sub.id)
		SELECT id FROM sub ORDER BY depth, id`, id)
	if err != nil {
		return nil, fmt.Errorf("list descendants of task %s: %w", id, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list descendants of task %s: %w", id, err)
	}
	return ids, nil
}

// cancelOne applies a cancel request to one task as it is now: an earlier
// step may have promoted it from blocked to queued.
func cancelOne(ctx context.Context, tx pgx.Tx, id string, now time.Time) error {
	t, err := lockTask(ctx, tx, id)
	if err != nil {
		return err
	}
	switch t.State {
	case arca.TaskQueued, arca.TaskBlocked:
		_, err = tx.Exec(ctx, `UPDATE tasks SET state = 'canceled', cancel_requested = true,
			blocked_reason = '', ended_at = $1, updated_at = $1, lease_until = NULL WHERE id = $2`, ts(now), id)
		if err == nil {
			err = releaseLock(ctx, tx, t, now)
		}
	case arca.TaskRunning, arca.TaskCanceling:
		_, err = tx.Exec(ctx, `UPDATE tasks SET state = 'canceling', cancel_requested = true, updated_at = $1
			WHERE id = $2`, ts(now), id)
	}
	if err != nil {
		return fmt.Errorf("cancel task %s: %w", id, err)
	}
	return nil
}

// releaseLock drops the exclusivity key t holds, if it holds one, and hands
// it to the oldest task blocked on it, which becomes queued.
func releaseLock(ctx context.Context, tx pgx.Tx, t arca.Task, now time.Time) error {
	if t.ExclusiveKey == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, `DELETE FROM task_locks WHERE key = $1 AND task_id = $2`, t.ExclusiveKey, t.ID)
	if err != nil {
		return fmt.Errorf("release lock %q: %w", t.ExclusiveKey, err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	next, err := oldestWaiter(ctx, tx, t.ExclusiveKey)
	if err != nil || next == "" {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE tasks SET state = 'queued', blocked_reason = '', updated_at = $1
		WHERE id = $2`, ts(now), next); err != nil {
		return fmt.Errorf("queue task %s: %w", next, err)
	}
	return takeLock(ctx, tx, t.ExclusiveKey, next)
}

// oldestWaiter locks and returns the oldest task blocked on key, or "". A
// locking read with LIMIT may come back empty when its candidate changed
// meanwhile (a concurrent cancel): then it looks again while any waiter is
// left.
func oldestWaiter(ctx context.Context, tx pgx.Tx, key string) (string, error) {
	for range maxAttempts {
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM tasks WHERE state = 'blocked' AND exclusive_key = $1
			ORDER BY id LIMIT 1 FOR UPDATE`, key).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", fmt.Errorf("find task waiting for %q: %w", key, err)
		}
		var left bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tasks WHERE state = 'blocked'
			AND exclusive_key = $1)`, key).Scan(&left); err != nil || !left {
			return "", err
		}
	}
	return "", fmt.Errorf("find task waiting for %q: the waiters kept changing", key)
}
