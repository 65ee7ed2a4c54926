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

// CreateTask inserts a task queued, running (StartRunning) or blocked
// (WaitForKey while its exclusivity key is held), all in one transaction.
func (db *DB) CreateTask(ctx context.Context, c catalog.CreateTask) (arca.Task, bool, error) {
	t, err := catalog.PrepareCreate(c, time.Now())
	if err != nil {
		return arca.Task{}, false, err
	}
	var out arca.Task
	var replayed bool
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if c.IdempotencyKey != "" {
			prev, found, err := findIdempotent(ctx, tx, t.Tenant, c.IdempotencyKey, c.RequestHash)
			if err != nil || found {
				out, replayed = prev, found
				return err
			}
		}
		if err := checkNewTask(ctx, tx, t); err != nil {
			return err
		}
		if err := decideState(ctx, tx, &t, c); err != nil {
			return err
		}
		if err := insertTask(ctx, tx, t, c); err != nil {
			return err
		}
		if t.ExclusiveKey != "" && t.State != arca.TaskBlocked {
			if err := takeLock(ctx, tx, t.ExclusiveKey, t.ID); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return arca.Task{}, false, err
	}
	return out, replayed, nil
}

// findIdempotent returns the task created earlier with the same key.
func findIdempotent(ctx context.Context, q querier, tenant, key, hash string) (arca.Task, bool, error) {
	var id, prevHash string
	err := q.QueryRowContext(ctx, `SELECT id, request_hash FROM tasks WHERE tenant = ? AND idempotency_key = ?`,
		tenant, key).Scan(&id, &prevHash)
	if errors.Is(err, sql.ErrNoRows) {
		return arca.Task{}, false, nil
	}
	if err != nil {
		return arca.Task{}, false, fmt.Errorf("look up idempotency key: %w", err)
	}
	if prevHash != hash {
		return arca.Task{}, false, catalog.IdempotencyKeyReused(key, id)
	}
	t, err := getTask(ctx, q, id)
	return t, err == nil, err
}

// checkNewTask refuses a taken id and a missing parent.
func checkNewTask(ctx context.Context, q querier, t arca.Task) error {
	if ok, err := taskExists(ctx, q, t.ID); err != nil || ok {
		if err == nil {
			err = catalog.TaskExists(t.ID)
		}
		return err
	}
	if t.Parent == "" {
		return nil
	}
	ok, err := taskExists(ctx, q, t.Parent)
	if err == nil && !ok {
		err = catalog.ParentNotFound(t.Parent)
	}
	return err
}

func taskExists(ctx context.Context, q querier, id string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM tasks WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("look up task %s: %w", id, err)
	}
	return n > 0, nil
}

// decideState sets the state a new task starts in.
func decideState(ctx context.Context, q querier, t *arca.Task, c catalog.CreateTask) error {
	t.State = arca.TaskQueued
	if c.StartRunning {
		t.State = arca.TaskRunning
		started := t.CreatedAt
		t.StartedAt = &started
	}
	if t.ExclusiveKey == "" {
		return nil
	}
	holder, op, held, err := lockHolder(ctx, q, t.ExclusiveKey)
	if err != nil || !held {
		return err
	}
	if !c.WaitForKey {
		return catalog.KeyInUse(t.ExclusiveKey, holder, op)
	}
	t.State, t.StartedAt = arca.TaskBlocked, nil
	t.BlockedReason = catalog.BlockedReason(t.ExclusiveKey, holder, op)
	return nil
}

// lockHolder returns the unfinished task holding key, if any.
func lockHolder(ctx context.Context, q querier, key string) (id string, op arca.Operation, held bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT l.task_id, t.operation FROM task_locks l
		JOIN tasks t ON t.id = l.task_id WHERE l.key = ?`, key).Scan(&id, &op)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("look up lock %q: %w", key, err)
	}
	return id, op, true, nil
}

func takeLock(ctx context.Context, q querier, key, id string) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO task_locks (key, task_id) VALUES (?, ?)`, key, id); err != nil {
		return fmt.Errorf("take lock %q for task %s: %w", key, id, err)
	}
	return nil
}

func insertTask(ctx context.Context, q querier, t arca.Task, c catalog.CreateTask) error {
	progress, err := catalog.JSONValue(t.Progress)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO tasks (id, tenant, operation, target_type, target_id, parent,
		state, blocked_reason, progress, cancelable, created_by, request_id, params, exclusive_key,
		attempt, created_at, started_at, updated_at, idempotency_key, request_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`,
		t.ID, t.Tenant, string(t.Operation), t.Target.Type, t.Target.ID, catalog.NullString(t.Parent),
		string(t.State), t.BlockedReason, progress, t.Cancelable, t.CreatedBy, t.RequestID,
		catalog.RawJSON(t.Params), t.ExclusiveKey, ts(t.CreatedAt), tsPtr(t.StartedAt), ts(t.UpdatedAt),
		catalog.NullString(c.IdempotencyKey), c.RequestHash)
	if isUnique(err) {
		return catalog.TaskExists(t.ID)
	}
	if err != nil {
		return fmt.Errorf("insert task %s: %w", t.ID, err)
	}
	return nil
}
