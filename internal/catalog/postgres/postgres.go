// Package postgres is the catalog driver for several processes: catalog.Store
// on PostgreSQL through a pgx v5 connection pool.
//
// Every method runs in one READ COMMITTED transaction. Rows a transition
// reads and then changes are locked first (SELECT ... FOR UPDATE), workers
// claim with FOR UPDATE SKIP LOCKED so that no task is claimed twice however
// many processes claim at once, and a transaction that loses a race (a unique
// key taken meanwhile, a deadlock, a serialization failure) is retried from
// the start, where it sees the winner's work.
//
// The schema is migrated at Open by goose (through pgx's database/sql
// adapter on the same pool, with the embedded migrations/*.sql) under a
// PostgreSQL advisory lock, so processes starting together migrate once.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/arcabackup/arca/internal/catalog"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the PostgreSQL catalog. It is safe for concurrent use, also by
// several processes on one database.
type DB struct {
	pool *pgxpool.Pool
}

var _ catalog.Store = (*DB)(nil)

// Open connects to the database at url (a postgres:// URL or key=value
// string, as pgx parses it, including pgxpool's pool_max_conns) and brings
// the schema up to date. A search_path in url chooses the schema; it must
// exist.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenSchema(ctx, url, "")
}

// defaultMaxConns is the pool size unless the URL sets pool_max_conns:
// pgxpool's own default (4, or the number of CPUs) starves a server whose
// API, workers and heartbeats all query at once.
const defaultMaxConns = 10

// schemaName is what OpenSchema accepts: a plain lower-case identifier.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// OpenSchema is Open with the catalog in its own schema, created if needed:
// several catalogs (tests, installations) can share one database.
func OpenSchema(ctx context.Context, url, schema string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres catalog: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if schema != "" {
		if !schemaName.MatchString(schema) {
			return nil, fmt.Errorf("open postgres catalog: schema %q is not a plain lower-case identifier", schema)
		}
		if err := createSchema(ctx, cfg.ConnConfig, schema); err != nil {
			return nil, err
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres catalog: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx, cfg.ConnConfig.RuntimeParams["search_path"]); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres catalog: %w", err)
	}
	return db, nil
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open postgres catalog: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P06") {
		// Another process created it at the same moment: IF NOT EXISTS
		// does not cover that race.
		err = nil
	}
	if err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return nil
}

// migrate applies the embedded migrations with goose while holding an
// advisory lock derived from the schema, so that of several processes
// starting together one migrates and the others wait for it (blocking on the
// lock, not polling).
func (db *DB) migrate(ctx context.Context, searchPath string) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("arca catalog migrations " + searchPath))
	lockID := int64(h.Sum64() >> 1)
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return fmt.Errorf("migrations lock: %w", err)
	}
	defer func() {
		// A failed unlock leaves the lock to the session's end: close it.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub,
		goose.WithDisableGlobalRegistry(true), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping checks that the catalog answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres catalog: %w", err)
	}
	return nil
}

// Close releases the connection pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// maxAttempts bounds how often a transaction that lost a race is retried.
const maxAttempts = 8

// inTx runs fn in a transaction and commits it when fn returns nil. A
// transaction that fails on a unique key taken meanwhile, a deadlock or a
// serialization failure is run again: fn must be safe to repeat.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for range maxAttempts {
		err = pgx.BeginFunc(ctx, db.pool, fn)
		if !retryable(err) {
			return err
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, err)
}

// retryable reports whether err is a lost race that a new attempt resolves.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	case "23505": // unique_violation
		return pe.ConstraintName == "tasks_tenant_idempotency_key" || pe.ConstraintName == "task_locks_pkey"
	}
	return false
}

// isUnique reports whether err is a unique violation of constraint.
func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == constraint
}
