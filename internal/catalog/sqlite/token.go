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

// CreateToken stores a token; a taken id is an ALREADY_EXISTS error.
func (db *DB) CreateToken(ctx context.Context, t arca.APIToken) error {
	t, err := catalog.PrepareToken(t, time.Now())
	if err != nil {
		return err
	}
	rolesJSON, err := json.Marshal(t.Roles)
	if err != nil {
		return fmt.Errorf("encode roles: %w", err)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, tenant, name, roles, secret_hash,
			created_at, expires_at, revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Tenant, t.Name, string(rolesJSON), t.SecretHash, ts(t.CreatedAt), tsPtr(t.ExpiresAt),
			tsPtr(t.RevokedAt), tsPtr(t.LastUsedAt))
		if isUnique(err) {
			return catalog.TokenExists(t.ID)
		}
		if err != nil {
			return fmt.Errorf("create token %s: %w", t.ID, err)
		}
		return nil
	})
}

// GetToken returns a token by id or a NOT_FOUND error.
func (db *DB) GetToken(ctx context.Context, id string) (arca.APIToken, error) {
	var t arca.APIToken
	var roles, created string
	var expires, revoked, used sql.NullString
	err := db.stmts.token.QueryRowContext(ctx, id).
		Scan(&t.ID, &t.Tenant, &t.Name, &roles, &t.SecretHash, &created, &expires, &revoked, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return arca.APIToken{}, catalog.TokenNotFound(id)
	}
	if err != nil {
		return arca.APIToken{}, fmt.Errorf("get token %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(roles), &t.Roles); err != nil {
		return arca.APIToken{}, fmt.Errorf("token %s roles: %w", id, err)
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return arca.APIToken{}, err
	}
	for _, f := range []struct {
		dst **time.Time
		src sql.NullString
	}{{&t.ExpiresAt, expires}, {&t.RevokedAt, revoked}, {&t.LastUsedAt, used}} {
		if *f.dst, err = parseTimePtr(f.src); err != nil {
			return arca.APIToken{}, err
		}
	}
	return t, nil
}

// CountTokens returns how many tokens exist.
func (db *DB) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}

// TouchToken records that the token was used at t.
func (db *DB) TouchToken(ctx context.Context, id string, t time.Time) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ts(t), id)
		if err != nil {
			return fmt.Errorf("touch token %s: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = catalog.TokenNotFound(id)
		}
		return err
	})
}

// ListTokens returns the tokens that match, ordered by id.
func (db *DB) ListTokens(ctx context.Context, f catalog.TokenFilter) ([]arca.APIToken, error) {
	var c clauses
	if f.Tenant != "" {
		c.add("tenant = ?", f.Tenant)
	}
	if f.After != "" {
		c.add("id > ?", f.After)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM api_tokens`+c.where()+` ORDER BY id LIMIT ?`,
		append(c.args, catalog.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]arca.APIToken, 0, len(ids))
	for _, id := range ids {
		t, err := db.GetToken(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// RevokeToken marks a token revoked at t, keeping an earlier revocation.
func (db *DB) RevokeToken(ctx context.Context, id string, t time.Time) error {
	return db.execOne(ctx, catalog.TokenNotFound(id),
		`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, ts(t), id)
}
