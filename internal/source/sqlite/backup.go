package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// busyTimeout is how long a connection waits for a writer's lock.
const busyTimeout = "10000"

func dsn(path string, readOnly bool) string {
	u := url.URL{Scheme: "file", Path: path}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+busyTimeout+")")
	if readOnly {
		q.Add("mode", "ro")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// openSource opens the source database, checking it is there and is a
// SQLite database.
func openSource(ctx context.Context, c source.Config, path string) (*sql.DB, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &arca.Error{Code: arca.CodeUnavailable, Err: err,
			Message: fmt.Sprintf("The database file %s of %s does not exist: fix settings.path.", path, c.Name())}
	case errors.Is(err, fs.ErrPermission):
		return nil, &arca.Error{Code: arca.CodePermissionDenied, Err: err,
			Message: fmt.Sprintf("The Arca server may not read %s of %s: give its user read access to the file and its directory.", path, c.Name())}
	case err != nil:
		return nil, fmt.Errorf("stat %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return nil, arca.Errorf(arca.CodeInvalidArgument, "%s of %s is not a regular file: fix settings.path.", path, c.Name())
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		_ = db.Close()
		if errors.Is(err, fs.ErrPermission) || isCode(err, "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM") {
			return nil, &arca.Error{Code: arca.CodePermissionDenied, Err: err,
				Message: fmt.Sprintf("The Arca server cannot open %s of %s (%v): give its user read and write access to the file and its directory (SQLite writes a -shm file beside a WAL database).", path, c.Name(), err)}
		}
		return nil, &arca.Error{Code: arca.CodeInvalidArgument, Err: err,
			Message: fmt.Sprintf("%s of %s is not a SQLite database (%v): fix settings.path.", path, c.Name(), err)}
	}
	return db, nil
}

func isCode(err error, names ...string) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	for _, n := range names {
		if strings.Contains(se.Error(), n) {
			return true
		}
	}
	return false
}

// Probe checks the file is there, readable and a SQLite database.
func (Driver) Probe(ctx context.Context, c source.Config) error {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return err
	}
	db, err := openSource(ctx, c, s.Path)
	if err != nil {
		return err
	}
	return db.Close()
}

// Backup copies the database with the online backup API into a private
// temporary file, which it then streams as one file named for the
// database and removes.
func (Driver) Backup(ctx context.Context, c source.Config, opts source.BackupOptions, sink source.Sink) (source.Meta, error) {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return nil, err
	}
	db, err := openSource(ctx, c, s.Path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var version, journal string
	var size int64
	err = db.QueryRowContext(ctx, "SELECT sqlite_version(), (SELECT journal_mode FROM pragma_journal_mode), (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size)").
		Scan(&version, &journal, &size)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Path, err)
	}
	sink.Expect(size)
	dir, err := os.MkdirTemp(s.TempDir, "arca-sqlite-")
	if err != nil {
		return nil, fmt.Errorf("staging dir: %w", err)
	}
	defer os.RemoveAll(dir)
	copyPath := filepath.Join(dir, "copy.db")
	if err := onlineBackup(ctx, db, copyPath); err != nil {
		return nil, fmt.Errorf("online backup of %s: %w", s.Path, err)
	}
	f, err := os.Open(copyPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := sink.Stream(ctx, streamName(s.Path), f); err != nil {
		return nil, err
	}
	m := source.Meta{"engine": "sqlite", "server_version": version, "journal_mode": journal}
	if err := m.SetJSON("databases", []dbSize{{Name: filepath.Base(s.Path), Size: fi.Size()}}); err != nil {
		return nil, err
	}
	return m, nil
}

type dbSize struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// backuper is the connection of modernc.org/sqlite that can back up.
type backuper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// onlineBackup copies db into the new file dst in one step: the source is
// read in one read transaction (writers to a WAL database go on; writers
// to a rollback-journal database wait for it).
func onlineBackup(ctx context.Context, db *sql.DB, dst string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		b, ok := dc.(backuper)
		if !ok {
			return errors.New("the sqlite driver has no online backup")
		}
		bk, err := b.NewBackup(dst)
		if err != nil {
			return err
		}
		for more := true; more; {
			if err := ctx.Err(); err != nil {
				_ = bk.Finish()
				return err
			}
			if more, err = bk.Step(-1); err != nil {
				_ = bk.Finish()
				return err
			}
		}
		return bk.Finish()
	})
}
