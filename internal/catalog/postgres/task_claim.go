package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// ClaimTasks moves up to limit queued tasks of ops to running under worker's
// lease. Candidates are locked FOR UPDATE SKIP LOCKED: concurrent claimers,
// in this process or others, take disjoint sets. No operations or a limit
// below 1 claim nothing.
func (db *DB) ClaimTasks(ctx context.Context, worker string, ops []arca.Operation, limit int, now, leaseUntil time.Time) ([]arca.Task, error) {
	if len(ops) == 0 || limit < 1 {
		return nil, nil
	}
	var out []arca.Task
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH picked AS (
				SELECT t.id FROM tasks t
				WHERE t.state = 'queued' AND t.operation = ANY($1)
				AND (t.exclusive_key = '' OR NOT EXISTS (
					SELECT 1 FROM task_locks l WHERE l.key = t.exclusive_key AND l.task_id <> t.id))
				ORDER BY t.id LIMIT $2
				FOR UPDATE SKIP LOCKED)
			UPDATE tasks SET state = 'running', worker = $3, lease_until = $4,
				started_at = coalesce(started_at, $5), attempt = attempt + 1, updated_at = $5
			FROM picked WHERE tasks.id = picked.id
			RETURNING `+prefixed("tasks.", taskColumns), strs(ops), limit, worker, ts(leaseUntil), ts(now))
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

// prefixed qualifies each column of a column list.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// Heartbeat extends the lease of the running or canceling tasks among ids
// that worker holds and returns those whose cancel was requested.
func (db *DB) Heartbeat(ctx context.Context, worker string, ids []string, leaseUntil time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var canceled []string
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		canceled = nil
		rows, err := tx.Query(ctx, `UPDATE tasks SET lease_until = $1
			WHERE worker = $2 AND state IN ('running', 'canceling') AND id = ANY($3)
			RETURNING id, cancel_requested`, ts(leaseUntil), worker, ids)
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
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tasks SET progress = $1, updated_at = $2
			WHERE id = $3 AND state NOT IN `+terminalList, progress, ts(now), id)
		if err != nil {
			return fmt.Errorf("update progress of task %s: %w", id, err)
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		t, err := getTask(ctx, tx, id, "")
		if err != nil {
			return err
		}
		return catalog.NotAllowed(id, t.State, "report progress")
	})
}

// terminalList is the SQL list of terminal states.
const terminalList = `('succeeded', 'partially_succeeded', 'failed', 'canceled')`
