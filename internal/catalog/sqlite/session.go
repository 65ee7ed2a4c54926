package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// CreateSession stores a session of an existing user.
func (db *DB) CreateSession(ctx context.Context, s arca.Session) error {
	s, err := catalog.PrepareSession(s)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, s.UserID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.UserNotFound(s.UserID)
		}
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, secret_hash, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, s.ID, s.UserID, s.SecretHash, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt))
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return nil
	})
}

// GetSession returns a session or a NOT_FOUND error.
func (db *DB) GetSession(ctx context.Context, id string) (arca.Session, error) {
	var s arca.Session
	var created, seen, expires string
	err := db.read.QueryRowContext(ctx, `SELECT id, user_id, secret_hash, created_at, last_seen_at, expires_at
		FROM sessions WHERE id = ?`, id).Scan(&s.ID, &s.UserID, &s.SecretHash, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, catalog.SessionNotFound(id)
	}
	if err != nil {
		return s, fmt.Errorf("get session: %w", err)
	}
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&s.CreatedAt, created}, {&s.LastSeenAt, seen}, {&s.ExpiresAt, expires}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return s, err
		}
	}
	return s, nil
}

// TouchSession records that the session was used at t.
func (db *DB) TouchSession(ctx context.Context, id string, t time.Time) error {
	return db.execOne(ctx, catalog.SessionNotFound(id), `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, ts(t), id)
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	return db.execOne(ctx, catalog.SessionNotFound(id), `DELETE FROM sessions WHERE id = ?`, id)
}

// DeleteUserSessions ends every session of a user.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return db.execCount(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
}

// DeleteStaleSessions deletes sessions past their absolute or idle expiry.
func (db *DB) DeleteStaleSessions(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	return db.execCount(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`, ts(now), ts(now.Add(-idle)))
}

// execOne runs a statement that must change one row, else returns missing.
func (db *DB) execOne(ctx context.Context, missing error, query string, args ...any) error {
	n, err := db.execCount(ctx, query, args...)
	if err == nil && n == 0 {
		return missing
	}
	return err
}

// execCount runs a statement in a write transaction and returns how many
// rows it changed.
func (db *DB) execCount(ctx context.Context, query string, args ...any) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("sessions: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
