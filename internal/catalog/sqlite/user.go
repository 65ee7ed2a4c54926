package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	roles, err := json.Marshal(u.Roles)
	if err != nil {
		return fmt.Errorf("encode roles: %w", err)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM tenants WHERE id = ?`, u.Tenant).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.TenantNotFound(u.Tenant)
		}
		if err != nil {
			return fmt.Errorf("create user %s: %w", u.Username, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Tenant, u.Username, string(roles), u.PasswordHash, u.Disabled, ts(u.CreatedAt), ts(u.UpdatedAt))
		if isUnique(err) {
			return catalog.UserExists(u.Username)
		}
		if err != nil {
			return fmt.Errorf("create user %s: %w", u.Username, err)
		}
		return nil
	})
}

// GetUser returns a user by id.
func (db *DB) GetUser(ctx context.Context, id string) (arca.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, catalog.UserNotFound(id)
	}
	return u, err
}

// GetUserByName returns a user by username.
func (db *DB) GetUserByName(ctx context.Context, username string) (arca.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, catalog.UserNotFound(username)
	}
	return u, err
}

func scanUser(row scanner) (arca.User, error) {
	var u arca.User
	var roles, created, updated string
	if err := row.Scan(&u.ID, &u.Tenant, &u.Username, &roles, &u.PasswordHash, &u.Disabled, &created, &updated); err != nil {
		return u, err
	}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return u, fmt.Errorf("user %s roles: %w", u.ID, err)
	}
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return u, err
	}
	u.UpdatedAt, err = parseTime(updated)
	return u, err
}

// ListUsers returns the users that match, ordered by id.
func (db *DB) ListUsers(ctx context.Context, f catalog.UserFilter) ([]arca.User, error) {
	var c clauses
	if f.Tenant != "" {
		c.add("tenant = ?", f.Tenant)
	}
	if f.After != "" {
		c.add("id > ?", f.After)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users`+c.where()+` ORDER BY id LIMIT ?`,
		append(c.args, catalog.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []arca.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser stores a user's roles, password hash, disabled flag and
// update time.
func (db *DB) UpdateUser(ctx context.Context, u arca.User) error {
	if err := arca.CheckRoles(u.Roles); err != nil {
		return err
	}
	roles, err := json.Marshal(u.Roles)
	if err != nil {
		return fmt.Errorf("encode roles: %w", err)
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = time.Now()
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET roles = ?, password_hash = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			string(roles), u.PasswordHash, u.Disabled, ts(u.UpdatedAt), u.ID)
		if err != nil {
			return fmt.Errorf("update user %s: %w", u.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return catalog.UserNotFound(u.ID)
		}
		return nil
	})
}

// DeleteUser deletes a user and (by cascade) its sessions.
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete user %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return catalog.UserNotFound(id)
		}
		return nil
	})
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// clauses collects the conditions of a WHERE and their arguments.
type clauses struct {
	conds []string
	args  []any
}

func (c *clauses) add(cond string, arg any) {
	c.conds = append(c.conds, cond)
	c.args = append(c.args, arg)
}

func (c *clauses) where() string {
	if len(c.conds) == 0 {
		return ""
	}
	s := " WHERE " + c.conds[0]
	for _, x := range c.conds[1:] {
		s += " AND " + x
	}
	return s
}
