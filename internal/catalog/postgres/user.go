package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

const userColumns = `id, tenant, username, roles, password_hash, disabled, created_at, updated_at`

// CreateUser stores a user.
func (db *DB) CreateUser(ctx context.Context, u arca.User) error {
	u, err := catalog.PrepareUser(u, time.Now())
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, u.Tenant, u.Username, strs(u.Roles), u.PasswordHash, u.Disabled, ts(u.CreatedAt), ts(u.UpdatedAt))
	switch {
	case isUnique(err, "users_username_key"), isUnique(err, "users_pkey"):
		return catalog.UserExists(u.Username)
	case isFK(err, "users_tenant_fkey"):
		return catalog.TenantNotFound(u.Tenant)
	case err != nil:
		return fmt.Errorf("create user %s: %w", u.Username, err)
	}
	return nil
}

// GetUser returns a user by id.
func (db *DB) GetUser(ctx context.Context, id string) (arca.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, catalog.UserNotFound(id)
	}
	return u, err
}

// GetUserByName returns a user by username.
func (db *DB) GetUserByName(ctx context.Context, username string) (arca.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, catalog.UserNotFound(username)
	}
	return u, err
}

func scanUser(row pgx.Row) (arca.User, error) {
	var u arca.User
	var roles []string
	if err := row.Scan(&u.ID, &u.Tenant, &u.Username, &roles, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return u, err
	}
	u.Roles = roleList(roles)
	u.CreatedAt, u.UpdatedAt = ts(u.CreatedAt), ts(u.UpdatedAt)
	return u, nil
}

func roleList(v []string) []arca.Role {
	out := make([]arca.Role, len(v))
	for i, r := range v {
		out[i] = arca.Role(r)
	}
	return out
}

// ListUsers returns the users that match, ordered by id.
func (db *DB) ListUsers(ctx context.Context, f catalog.UserFilter) ([]arca.User, error) {
	var c clauses
	if f.Tenant != "" {
		c.add("tenant = ", f.Tenant)
	}
	if f.After != "" {
		c.add("id > ", f.After)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users`+c.where()+` ORDER BY id LIMIT `+c.next(catalog.ListLimit(f.Limit)), c.args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (arca.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser stores a user's roles, password hash, disabled flag and
// update time.
func (db *DB) UpdateUser(ctx context.Context, u arca.User) error {
	if err := arca.CheckRoles(u.Roles); err != nil {
		return err
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = time.Now()
	}
	return db.execOne(ctx, catalog.UserNotFound(u.ID),
		`UPDATE users SET roles = $1, password_hash = $2, disabled = $3, updated_at = $4 WHERE id = $5`,
		strs(u.Roles), u.PasswordHash, u.Disabled, ts(u.UpdatedAt), u.ID)
}

// DeleteUser deletes a user and (by cascade) its sessions.
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	return db.execOne(ctx, catalog.UserNotFound(id), `DELETE FROM users WHERE id = $1`, id)
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// execOne runs a statement that must change one row, else returns missing.
func (db *DB) execOne(ctx context.Context, missing error, query string, args ...any) error {
	tag, err := db.pool.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return missing
	}
	return nil
}

// clauses collects the conditions of a WHERE and their numbered arguments.
type clauses struct {
	conds []string
	args  []any
}

// add adds the condition "expr $n" for arg.
func (c *clauses) add(expr string, arg any) {
	c.conds = append(c.conds, expr+c.next(arg))
}

// next adds arg and returns its placeholder.
func (c *clauses) next(arg any) string {
	c.args = append(c.args, arg)
	return "$" + strconv.Itoa(len(c.args))
}

func (c *clauses) where() string {
	if len(c.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.conds, " AND ")
}
