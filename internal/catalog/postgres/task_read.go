package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// querier is what *pgxpool.Pool and pgx.Tx share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// GetTask returns a task or a NOT_FOUND error.
func (db *DB) GetTask(ctx context.Context, id string) (arca.Task, error) {
	return getTask(ctx, db.pool, id, "")
}

// getTask reads a task; lock is "" or a locking clause such as "FOR UPDATE".
func getTask(ctx context.Context, q querier, id, lock string) (arca.Task, error) {
	t, err := scanTask(q.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1 `+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return arca.Task{}, catalog.TaskNotFound(id)
	}
	if err != nil {
		return arca.Task{}, fmt.Errorf("get task %s: %w", id, err)
	}
	return t, nil
}

// lockTask reads a task and locks its row until the transaction ends.
func lockTask(ctx context.Context, tx pgx.Tx, id string) (arca.Task, error) {
	return getTask(ctx, tx, id, "FOR UPDATE")
}

// ListTasks returns the tasks that match f, ordered by id.
func (db *DB) ListTasks(ctx context.Context, f catalog.TaskFilter) ([]arca.Task, error) {
	var where []string
	var params []any
	add := func(cond string, v any) {
		params = append(params, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(params))))
	}
	if f.Tenant != "" {
		add("tenant = ?", f.Tenant)
	}
	if len(f.States) > 0 {
		add("state = ANY(?)", strs(f.States))
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
	params = append(params, catalog.ListLimit(f.Limit))
	q += " ORDER BY id " + order + " LIMIT $" + strconv.Itoa(len(params))
	rows, err := db.pool.Query(ctx, q, params...)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	tasks, err := collectTasks(rows)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return tasks, nil
}
