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

// CreateToken stores a token; a taken id is an ALREADY_EXISTS error.
func (db *DB) CreateToken(ctx context.Context, t arca.APIToken) error {
	t, err := catalog.PrepareToken(t, time.Now())
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO api_tokens (id, tenant, name, roles, secret_hash,
		created_at, expires_at, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.Tenant, t.Name, strs(t.Roles), t.SecretHash, ts(t.CreatedAt), tsPtr(t.ExpiresAt),
		tsPtr(t.RevokedAt), tsPtr(t.LastUsedAt))
	if isUnique(err, "api_tokens_pkey") {
		return catalog.TokenExists(t.ID)
	}
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.ID, err)
	}
	return nil
}

// GetToken returns a token by id or a NOT_FOUND error.
func (db *DB) GetToken(ctx context.Context, id string) (arca.APIToken, error) {
	var t arca.APIToken
	var roles []string
	err := db.pool.QueryRow(ctx, `SELECT id, tenant, name, roles, secret_hash, created_at,
		expires_at, revoked_at, last_used_at FROM api_tokens WHERE id = $1`, id).
		Scan(&t.ID, &t.Tenant, &t.Name, &roles, &t.SecretHash, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return arca.APIToken{}, catalog.TokenNotFound(id)
	}
	if err != nil {
		return arca.APIToken{}, fmt.Errorf("get token %s: %w", id, err)
	}
	t.Roles = make([]arca.Role, len(roles))
	for i, r := range roles {
		t.Roles[i] = arca.Role(r)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = utcPtr(t.ExpiresAt), utcPtr(t.RevokedAt), utcPtr(t.LastUsedAt)
	return t, nil
}

// CountTokens returns how many tokens exist.
func (db *DB) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM api_tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}

// TouchToken records that the token was used at t.
func (db *DB) TouchToken(ctx context.Context, id string, t time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, ts(t), id)
	if err != nil {
		return fmt.Errorf("touch token %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return catalog.TokenNotFound(id)
	}
	return nil
}

// ListTokens returns the tokens that match, ordered by id.
func (db *DB) ListTokens(ctx context.Context, f catalog.TokenFilter) ([]arca.APIToken, error) {
	var c clauses
	if f.Tenant != "" {
		c.add("tenant = ", f.Tenant)
	}
	if f.After != "" {
		c.add(`id COLLATE "C" > `, f.After)
	}
	rows, err := db.pool.Query(ctx, `SELECT id, tenant, name, roles, secret_hash, created_at, expires_at, revoked_at,
		last_used_at FROM api_tokens`+c.where()+` ORDER BY id COLLATE "C" LIMIT `+c.next(catalog.ListLimit(f.Limit)), c.args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (arca.APIToken, error) {
		var t arca.APIToken
		var roles []string
		err := r.Scan(&t.ID, &t.Tenant, &t.Name, &roles, &t.SecretHash, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
		t.Roles = roleList(roles)
		t.CreatedAt = t.CreatedAt.UTC()
		t.ExpiresAt, t.RevokedAt, t.LastUsedAt = utcPtr(t.ExpiresAt), utcPtr(t.RevokedAt), utcPtr(t.LastUsedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken marks a token revoked at t, keeping an earlier revocation.
func (db *DB) RevokeToken(ctx context.Context, id string, t time.Time) error {
	return db.execOne(ctx, catalog.TokenNotFound(id),
		`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, ts(t), id)
}
