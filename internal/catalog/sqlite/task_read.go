package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// GetTask returns a task or a NOT_FOUND error.
//
// The read is one indexed row and takes microseconds, so it does not watch
// ctx once started: with a context that can be canceled (every HTTP
// request's), database/sql and the driver each start a goroutine per query
// to interrupt it, which cost more than the read. A ctx already done is
// still refused.
func (db *DB) GetTask(ctx context.Context, id string) (arca.Task, error) {
	if err := ctx.Err(); err != nil {
		return arca.Task{}, fmt.Errorf("get task %s: %w", id, err)
	}
	return taskRow(id, db.stmts.task.QueryRowContext(context.WithoutCancel(ctx), id))
}

// getTask reads a task in a transaction (or on a pool).
func getTask(ctx context.Context, q querier, id string) (arca.Task, error) {
	return taskRow(id, q.QueryRowContext(ctx, taskByID, id))
}

// taskRow decodes the row of taskByID for id.
func taskRow(id string, row *sql.Row) (arca.Task, error) {
	t, err := scanTask(row)
	if errors.Is(err, sql.ErrNoRows) {
		return arca.Task{}, catalog.TaskNotFound(id)
	}
	if err != nil {
		return arca.Task{}, fmt.Errorf("get task %s: %w", id, err)
	}
	return t, nil
}

// ListTasks returns the tasks that match f, ordered by id.
func (db *DB) ListTasks(ctx context.Context, f catalog.TaskFilter) ([]arca.Task, error) {
	var where []string
	var params []any
	add := func(cond string, v ...any) {
		where = append(where, cond)
		params = append(params, v...)
	}
	if f.Tenant != "" {
		add("tenant = ?", f.Tenant)
	}
	if len(f.States) > 0 {
		add("state IN ("+placeholders(len(f.States))+")", args(f.States)...)
	}
	if f.Operation != "" {
		add("operation = ?", string(f.Operation))
	}
	if f.Parent != "" {
		add("parent = ?", f.Parent)
	}
	if f.TargetType != "" {
		add("target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		add("target_id = ?", f.TargetID)
	}
	order := "ASC"
	if f.Desc {
		order = "DESC"
		if f.After != "" {
			add("id < ?", f.After)
		}
	} else if f.After != "" {
		add("id > ?", f.After)
	}
	q := `SELECT ` + taskColumns + ` FROM tasks`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id " + order + " LIMIT ?"
	params = append(params, catalog.ListLimit(f.Limit))
	rows, err := db.read.QueryContext(ctx, q, params...)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	tasks, err := collectTasks(rows)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return tasks, nil
}
