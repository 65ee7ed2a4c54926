package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/seal"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/command"
	sourcefs "github.com/arcabackup/arca/internal/source/fs"
	"github.com/arcabackup/arca/internal/source/mysql"
	"github.com/arcabackup/arca/internal/source/postgres"
	"github.com/arcabackup/arca/internal/source/sqlite"
)

// newSources lists the source kinds the server backs up.
func newSources() *source.Registry {
	return source.NewRegistry(sourcefs.Driver{}, command.New(), postgres.New(), mysql.New(), sqlite.New())
}

// masterKey returns the key that seals the catalog's secrets: from
// ARCA_MASTER_KEY, else the file <data>/master.key, created (0600) on first
// start. Losing it makes the stored repository passwords unreadable (the
// repositories themselves are untouched: register them again).
func (m *Main) masterKey(c serverConfig, log *slog.Logger) (*seal.Box, error) {
	if v := m.Getenv("ARCA_MASTER_KEY"); v != "" {
		k, err := seal.ParseKey(v)
		if err != nil {
			return nil, usageError{fmt.Errorf("ARCA_MASTER_KEY: %w", err)}
		}
		return seal.New(k)
	}
	path := filepath.Join(c.Data, "master.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := seal.NewKey()
		if err != nil {
			return nil, err
		}
		if err := writeNewFile(path, []byte(seal.FormatKey(k)+"\n")); err != nil {
			return nil, fmt.Errorf("store master key: %w", err)
		}
		log.Info("created the master key that encrypts stored passwords; back it up", "path", path)
		return seal.New(k)
	}
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the master key file is readable by others: chmod 600 it", "path", path)
	}
	k, err := seal.ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return seal.New(k)
}

// writeNewFile writes data to a new file (0600) durably; an existing file
// is never replaced.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// newOps builds the operations on repositories, sources and snapshots.
func (m *Main) newOps(c serverConfig, cat ops.Catalog, box *seal.Box, log *slog.Logger) (*ops.Service, error) {
	cache := filepath.Join(c.Data, "cache")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, fmt.Errorf("create index cache directory: %w", err)
	}
	repos := ops.NewRepos(box, newLocationRegistry(), repo.OpenOptions{IndexCacheDir: cache}, repo.KDFParams{})
	roots := c.RestoreRoots
	if len(roots) == 0 {
		roots = []string{filepath.Join(c.Data, "restores")}
	}
	return ops.NewService(cat, repos, newSources(), box, ops.Options{RestoreRoots: roots, ReadRoots: c.FSRoots, AllowCommands: c.AllowCommands, PruneDelay: c.PruneDelay,
		Version: m.Version, Logger: log, Now: m.Now}), nil
}
