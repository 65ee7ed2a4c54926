package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Queries of fixed text that the read path runs on every call.
const (
	taskByID  = `SELECT ` + taskColumns + ` FROM tasks WHERE id = ?`
	tokenByID = `SELECT id, tenant, name, roles, secret_hash, created_at,
		expires_at, revoked_at, last_used_at FROM api_tokens WHERE id = ?`
)

// readStmts are the hot read queries, prepared on the read pool. database/sql
// prepares a statement again on each connection of the pool the first time
// it runs there and keeps it (the read pool's connections live as long as
// the catalog), so SQLite parses each query once per connection instead of
// once per call: that parsing was half the cost of a GetTask.
//
// Each returns at most one row and is only used through QueryRowContext,
// whose row is closed before the next call on the connection: a statement
// is never stepped by two calls at once.
type readStmts struct {
	task  *sql.Stmt
	token *sql.Stmt
}

// prepare prepares the statements on pool.
func (s *readStmts) prepare(ctx context.Context, pool *sql.DB) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&s.task, taskByID}, {&s.token, tokenByID}} {
		st, err := pool.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.stmt = st
	}
	return nil
}

// close closes the statements that were prepared.
func (s *readStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.task, s.token} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
