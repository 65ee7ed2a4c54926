package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// CreateSession stores a session of an existing user.
func (db *DB) CreateSession(ctx context.Context, s arca.Session) error {
	s, err := catalog.PrepareSession(s)
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO sessions (id, user_id, secret_hash, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, s.ID, s.UserID, s.SecretHash, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt))
	if isFK(err, "sessions_user_id_fkey") {
		return catalog.UserNotFound(s.UserID)
	}
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns a session or a NOT_FOUND error.
func (db *DB) GetSession(ctx context.Context, id string) (arca.Session, error) {
	var s arca.Session
	err := db.pool.QueryRow(ctx, `SELECT id, user_id, secret_hash, created_at, last_seen_at, expires_at
		FROM sessions WHERE id = $1`, id).Scan(&s.ID, &s.UserID, &s.SecretHash, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, catalog.SessionNotFound(id)
	}
	if err != nil {
		return s, fmt.Errorf("get session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt)
	return s, nil
}

// TouchSession records that the session was used at t.
func (db *DB) TouchSession(ctx context.Context, id string, t time.Time) error {
	return db.execOne(ctx, catalog.SessionNotFound(id), `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, ts(t), id)
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	return db.execOne(ctx, catalog.SessionNotFound(id), `DELETE FROM sessions WHERE id = $1`, id)
}

// DeleteUserSessions ends every session of a user.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteStaleSessions deletes sessions past their absolute or idle expiry.
func (db *DB) DeleteStaleSessions(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, ts(now), ts(now.Add(-idle)))
	if err != nil {
		return 0, fmt.Errorf("delete stale sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// isFK reports whether err is a foreign key violation of constraint.
func isFK(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == constraint
}
