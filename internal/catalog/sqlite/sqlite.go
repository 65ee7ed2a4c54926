// Package sqlite is the embedded catalog driver: catalog.Store on one SQLite
// file (modernc.org/sqlite, pure Go).
//
// The file runs in WAL mode with synchronous=NORMAL: a commit is durable
// against a crash of the process, and against power loss everything but the
// last transactions before the loss survives and the file is never corrupt
// (SQLite's documented guarantee for WAL + NORMAL). Writes go through one
// connection (a pool of one) and open their transactions with BEGIN
// IMMEDIATE, so writers queue in Go instead of failing with SQLITE_BUSY;
// reads use a separate pool and, thanks to WAL, never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/arcabackup/arca/internal/catalog"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite catalog. It is safe for concurrent use.
type DB struct {
	write *sql.DB // one connection, BEGIN IMMEDIATE
	read  *sql.DB // several connections, query_only
	stmts readStmts
}

var _ catalog.Store = (*DB)(nil)

// Open opens (creating it if needed) the catalog in the SQLite file at path
// and brings its schema up to date. A path of ":memory:" gives a private
// in-memory catalog on a single connection, for tests.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("open sqlite catalog: empty path")
	}
	db := &DB{}
	var err error
	if path == ":memory:" {
		db.write, err = sql.Open("sqlite", dsn(path, false))
		db.read = db.write
	} else {
		db.write, err = sql.Open("sqlite", dsn(path, false))
		if err == nil {
			db.read, err = sql.Open("sqlite", dsn(path, true))
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite catalog %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)
	if db.read != db.write {
		n := max(4, runtime.GOMAXPROCS(0))
		db.read.SetMaxOpenConns(n)
		db.read.SetMaxIdleConns(n)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite catalog %s: %w", path, err)
	}
	if err := db.stmts.prepare(ctx, db.read); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite catalog %s: %w", path, err)
	}
	return db, nil
}

// dsn returns the modernc.org/sqlite data source name for path.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	// Statement journals (written by statements that fire triggers, such
	// as the snapshot upsert that keeps snapshot_tags) stay in memory
	// instead of going to a temporary file page by page: that made
	// rebuilding a snapshot cache six times slower.
	q.Add("_pragma", "temp_store(memory)")
	if path != ":memory:" {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// migrate applies the embedded migrations with goose on the write connection.
func (db *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.write, sub,
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
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite catalog: %w", err)
	}
	return nil
}

// Close releases the connections.
func (db *DB) Close() error {
	errs := []error{db.stmts.close()}
	if db.read != nil && db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it when
// fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY constraint
// violation.
func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
