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

// CreateTask inserts a task queued, running (StartRunning) or blocked
// (WaitForKey while its exclusivity key is held), all in one transaction.
// Two creates racing for one idempotency key or one free exclusivity key
// cannot both insert: the loser hits the unique index, and its retry sees
// the winner's task.
func (db *DB) CreateTask(ctx context.Context, c catalog.CreateTask) (arca.Task, bool, error) {
	prepared, err := catalog.PrepareCreate(c, time.Now())
	if err != nil {
		return arca.Task{}, false, err
	}
	var out arca.Task
	var replayed bool
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		t := prepared
		out, replayed = arca.Task{}, false
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
func findIdempotent(ctx context.Context, tx pgx.Tx, tenant, key, hash string) (arca.Task, bool, error) {
	var id, prevHash string
	err := tx.QueryRow(ctx, `SELECT id, request_hash FROM tasks WHERE tenant = $1 AND idempotency_key = $2`,
		tenant, key).Scan(&id, &prevHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return arca.Task{}, false, nil
	}
	if err != nil {
		return arca.Task{}, false, fmt.Errorf("look up idempotency key: %w", err)
	}
	if prevHash != hash {
		return arca.Task{}, false, catalog.IdempotencyKeyReused(key, id)
	}
	t, err := getTask(ctx, tx, id, "")
	return t, err == nil, err
}

// checkNewTask refuses a taken id and a missing parent (whose row it locks
// in share mode, so the parent cannot be deleted under the new task).
func checkNewTask(ctx context.Context, tx pgx.Tx, t arca.Task) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM tasks WHERE id = $1`, t.ID).Scan(&n); err != nil {
		return fmt.Errorf("look up task %s: %w", t.ID, err)
	}
	if n > 0 {
		return catalog.TaskExists(t.ID)
	}
	if t.Parent == "" {
		return nil
	}
	err := tx.QueryRow(ctx, `SELECT 1 FROM tasks WHERE id = $1 FOR KEY SHARE`, t.Parent).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return catalog.ParentNotFound(t.Parent)
	}
	if err != nil {
		return fmt.Errorf("look up parent task %s: %w", t.Parent, err)
	}
	return nil
}

// decideState sets the state a new task starts in.
func decideState(ctx context.Context, tx pgx.Tx, t *arca.Task, c catalog.CreateTask) error {
	t.State, t.StartedAt, t.BlockedReason = arca.TaskQueued, nil, ""
	if c.StartRunning {
		t.State = arca.TaskRunning
		started := t.CreatedAt
		t.StartedAt = &started
	}
	if t.ExclusiveKey == "" {
		return nil
	}
	holder, op, held, err := lockHolder(ctx, tx, t.ExclusiveKey)
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

// lockHolder returns the task holding key, if any, and locks the key's row:
// the holder cannot release it (and miss a task blocked on it now) before
// this transaction ends.
func lockHolder(ctx context.Context, tx pgx.Tx, key string) (id string, op arca.Operation, held bool, err error) {
	err = tx.QueryRow(ctx, `SELECT l.task_id, t.operation FROM task_locks l
		JOIN tasks t ON t.id = l.task_id WHERE l.key = $1 FOR UPDATE OF l`, key).Scan(&id, &op)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("look up lock %q: %w", key, err)
	}
	return id, op, true, nil
}

// takeLock records that task id holds key. A concurrent taker makes it fail
// with a unique violation, which inTx retries.
func takeLock(ctx context.Context, tx pgx.Tx, key, id string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO task_locks (key, task_id) VALUES ($1, $2)`, key, id); err != nil {
		return fmt.Errorf("take lock %q for task %s: %w", key, id, err)
	}
	return nil
}

func insertTask(ctx context.Context, tx pgx.Tx, t arca.Task, c catalog.CreateTask) error {
	progress, err := catalog.JSONValue(t.Progress)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO tasks (id, tenant, operation, target_type, target_id, parent,
		state, blocked_reason, progress, cancelable, created_by, request_id, params, exclusive_key,
		attempt, created_at, started_at, updated_at, idempotency_key, request_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $16, $17, $18, $19)`,
		t.ID, t.Tenant, string(t.Operation), t.Target.Type, t.Target.ID, catalog.NullString(t.Parent),
		string(t.State), t.BlockedReason, progress, t.Cancelable, t.CreatedBy, t.RequestID,
		catalog.RawJSON(t.Params), t.ExclusiveKey, ts(t.CreatedAt), tsPtr(t.StartedAt), ts(t.UpdatedAt),
		catalog.NullString(c.IdempotencyKey), c.RequestHash)
	if isUnique(err, "tasks_pkey") {
		return catalog.TaskExists(t.ID)
	}
	if err != nil {
		return fmt.Errorf("insert task %s: %w", t.ID, err)
	}
	return nil
}
