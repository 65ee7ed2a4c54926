package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// timeFormat is how times are stored: UTC, fixed width, so text order is
// time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// ts encodes a time for a TEXT column.
func ts(t time.Time) string { return catalog.DBTime(t).Format(timeFormat) }

// tsPtr encodes an optional time (nil → NULL).
func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	return &t, err
}

// taskColumns are the columns scanTask reads, in its order.
const taskColumns = `id, tenant, operation, target_type, target_id, parent, state, blocked_reason,
	progress, cancelable, created_by, request_id, params, exclusive_key, attempt, created_at,
	started_at, ended_at, updated_at, result, result_type, error, warnings, cancel_requested,
	worker, lease_until`

type scanner interface{ Scan(dest ...any) error }

// taskRowDest is where scanTask scans a row: the task and the columns that
// need decoding, with the pointers Scan takes, in one allocation instead of
// one per variable whose address escapes into Scan's arguments.
type taskRowDest struct {
	t                                                                arca.Task
	parent, params, started, ended, result, taskErr, warnings, lease sql.NullString
	progress, created, updated                                       string
	ptrs                                                             [26]any
}

// scanTask reads one row of taskColumns.
func scanTask(row scanner) (arca.Task, error) {
	d := new(taskRowDest)
	t := &d.t
	d.ptrs = [26]any{&t.ID, &t.Tenant, &t.Operation, &t.Target.Type, &t.Target.ID, &d.parent,
		&t.State, &t.BlockedReason, &d.progress, &t.Cancelable, &t.CreatedBy, &t.RequestID, &d.params,
		&t.ExclusiveKey, &t.Attempt, &d.created, &d.started, &d.ended, &d.updated, &d.result, &t.ResultType,
		&d.taskErr, &d.warnings, &t.CancelRequested, &t.Worker, &d.lease}
	if err := row.Scan(d.ptrs[:]...); err != nil {
		return arca.Task{}, err
	}
	t.Parent = d.parent.String
	if d.params.Valid {
		t.Params = json.RawMessage(d.params.String)
	}
	if d.result.Valid {
		t.Result = json.RawMessage(d.result.String)
	}
	if err := decodeTaskJSON(t, d.progress, d.taskErr, d.warnings); err != nil {
		return arca.Task{}, err
	}
	if err := decodeTaskTimes(t, d.created, d.updated, d.started, d.ended, d.lease); err != nil {
		return arca.Task{}, err
	}
	return *t, nil
}

// zeroProgress is how the zero arca.Progress is stored (that of every task
// not yet started, and what the column defaults to): decoding it is skipped.
const zeroProgress = `{"percent":0}`

func decodeTaskJSON(t *arca.Task, progress string, taskErr, warnings sql.NullString) error {
	if progress != zeroProgress && progress != "{}" {
		if err := json.Unmarshal([]byte(progress), &t.Progress); err != nil {
			return fmt.Errorf("task %s progress: %w", t.ID, err)
		}
	}
	if taskErr.Valid {
		t.Error = new(arca.TaskError)
		if err := json.Unmarshal([]byte(taskErr.String), t.Error); err != nil {
			return fmt.Errorf("task %s error: %w", t.ID, err)
		}
	}
	if warnings.Valid {
		if err := json.Unmarshal([]byte(warnings.String), &t.Warnings); err != nil {
			return fmt.Errorf("task %s warnings: %w", t.ID, err)
		}
	}
	return nil
}

func decodeTaskTimes(t *arca.Task, created, updated string, started, ended, lease sql.NullString) error {
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return err
	}
	if t.UpdatedAt, err = parseTime(updated); err != nil {
		return err
	}
	if t.StartedAt, err = parseTimePtr(started); err != nil {
		return err
	}
	if t.EndedAt, err = parseTimePtr(ended); err != nil {
		return err
	}
	t.LeaseUntil, err = parseTimePtr(lease)
	return err
}

// collectTasks reads every row of taskColumns.
func collectTasks(rows *sql.Rows) ([]arca.Task, error) {
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

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// args converts a slice of string-like values into query arguments.
func args[S ~string](v []S) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}
