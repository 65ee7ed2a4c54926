package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// Restore writes the snapshot's database to target.options.path: into a new file
// beside it, checked with SQLite's integrity check, then renamed into
// place. An existing file is replaced only with target.options.overwrite.
func (Driver) Restore(ctx context.Context, c source.Config, snap source.Reader, target json.RawMessage) (source.RestoreResult, error) {
	var tg Target
	if err := source.DecodeTarget(target, &tg); err != nil {
		return source.RestoreResult{}, err
	}
	if msg := checkPath(tg.Path); msg != "" {
		return source.RestoreResult{}, source.InvalidTarget(arca.FieldError{Field: "target.options.path", Message: msg})
	}
	if _, err := os.Lstat(tg.Path); err == nil && !tg.Overwrite {
		return source.RestoreResult{}, &arca.Error{Code: arca.CodeAlreadyExists,
			Message: fmt.Sprintf("%s exists already: choose another target.options.path, or set target.options.overwrite to replace it.", tg.Path)}
	}
	es, err := snap.List(ctx)
	if err != nil {
		return source.RestoreResult{}, err
	}
	if len(es) != 1 {
		return source.RestoreResult{}, arca.Errorf(arca.CodeInvalidArgument, "The snapshot is not a SQLite backup made by Arca (it should hold one file, not %d).", len(es))
	}
	tmp, n, err := writeTemp(ctx, snap, es[0].Name, tg.Path)
	if err != nil {
		return source.RestoreResult{}, err
	}
	defer os.Remove(tmp)
	if err := check(ctx, tmp); err != nil {
		return source.RestoreResult{}, err
	}
	if tg.Overwrite {
		for _, suffix := range []string{"-wal", "-shm", "-journal"} {
			if err := os.Remove(tg.Path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return source.RestoreResult{}, fmt.Errorf("remove %s: %w", tg.Path+suffix, err)
			}
		}
	}
	if err := os.Rename(tmp, tg.Path); err != nil {
		return source.RestoreResult{}, fmt.Errorf("restore %s: %w", tg.Path, err)
	}
	return source.RestoreResult{Bytes: n, Details: map[string]string{es[0].Name: tg.Path},
		Summary: fmt.Sprintf("Restored database %s to %s.", es[0].Name, tg.Path)}, nil
}

// writeTemp writes the stream name into a new file beside path.
func writeTemp(ctx context.Context, snap source.Reader, name, path string) (string, int64, error) {
	rc, err := snap.Open(ctx, name)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".arca-restore-")
	if errors.Is(err, fs.ErrPermission) {
		return "", 0, arca.Errorf(arca.CodePermissionDenied, "The Arca server may not write in %s: choose another target.options.path.", filepath.Dir(path))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, arca.Errorf(arca.CodeInvalidArgument, "The directory %s does not exist: create it or choose another target.options.path.", filepath.Dir(path))
	}
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(f, rc)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", 0, fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return f.Name(), n, nil
}

// check runs SQLite's integrity check on the restored file.
func check(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&res); err != nil {
		return arca.Errorf(arca.CodeInternal, "The restored database fails to open (%v); it was not put in place.", err)
	}
	if res != "ok" {
		return arca.Errorf(arca.CodeInternal, "The restored database fails SQLite's integrity check (%s); it was not put in place.", res)
	}
	return nil
}
