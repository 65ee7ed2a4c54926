package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// ts is a time as stored: UTC, microseconds (PostgreSQL would round, the
// catalog truncates, as the SQLite driver does).
func ts(t time.Time) time.Time { return catalog.DBTime(t) }

// tsPtr is an optional time (nil → NULL).
func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

// utcPtr returns t in UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// zeroProgress is how the zero arca.Progress is stored (that of every task
// not yet started; the json column keeps the text as written): decoding it is
// skipped.
const zeroProgress = `{"percent":0}`

// taskColumns are the columns scanTask reads, in its order.
const taskColumns = `id, tenant, operation, target_type, target_id, parent, state, blocked_reason,
	progress, cancelable, created_by, request_id, params, exclusive_key, attempt, created_at,
	started_at, ended_at, updated_at, result, result_type, error, warnings, cancel_requested,
	worker, lease_until`

// scanTask reads one row of taskColumns.
func scanTask(row pgx.Row) (arca.Task, error) {
	var t arca.Task
	var parent, params, result, taskErr, warnings *string
	var progress string
	err := row.Scan(&t.ID, &t.Tenant, &t.Operation, &t.Target.Type, &t.Target.ID, &parent,
		&t.State, &t.BlockedReason, &progress, &t.Cancelable, &t.CreatedBy, &t.RequestID, &params,
		&t.ExclusiveKey, &t.Attempt, &t.CreatedAt, &t.StartedAt, &t.EndedAt, &t.UpdatedAt, &result,
		&t.ResultType, &taskErr, &warnings, &t.CancelRequested, &t.Worker, &t.LeaseUntil)
	if err != nil {
		return arca.Task{}, err
	}
	if parent != nil {
		t.Parent = *parent
	}
	if params != nil {
		t.Params = json.RawMessage(*params)
	}
	if result != nil {
		t.Result = json.RawMessage(*result)
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	t.StartedAt, t.EndedAt, t.LeaseUntil = utcPtr(t.StartedAt), utcPtr(t.EndedAt), utcPtr(t.LeaseUntil)
	if progress != zeroProgress && progress != "{}" {
		if err := json.Unmarshal([]byte(progress), &t.Progress); err != nil {
			return arca.Task{}, fmt.Errorf("task %s progress: %w", t.ID, err)
		}
	}
	if taskErr != nil {
		t.Error = new(arca.TaskError)
		if err := json.Unmarshal([]byte(*taskErr), t.Error); err != nil {
			return arca.Task{}, fmt.Errorf("task %s error: %w", t.ID, err)
		}
	}
	if warnings != nil {
		if err := json.Unmarshal([]byte(*warnings), &t.Warnings); err != nil {
			return arca.Task{}, fmt.Errorf("task %s warnings: %w", t.ID, err)
		}
	}
	return t, nil
}

// collectTasks reads every row of taskColumns.
func collectTasks(rows pgx.Rows) ([]arca.Task, error) {
	defer rows.Close()
	var out []arca.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// strs converts a slice of string-like values for a text[] parameter.
func strs[S ~string](v []S) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}
