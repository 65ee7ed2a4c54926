// Package local is a blob.Store in a directory of the local file system.
//
// An object "data/ab/abcd" is the file <dir>/data/ab/abcd; directories are
// created on first use. Put writes a temporary file (a name beginning with
// ".tmp-", which no object name can have) in the object's directory,
// fsyncs it, makes it read-only and publishes it with link(2), which fails
// rather than replace an existing file, then removes the temporary name and
// fsyncs the directory. So an object is visible only once complete, is
// never overwritten, and is durable when Put returns. The file system must
// support hard links (every local POSIX file system does; some network and
// FUSE file systems do not).
//
// PutDeferred (blob.Deferrer) does the same but returns before the two
// fsyncs, which run in the background; Sync waits for them. The repository
// writes packs that way and syncs before the index object that names them,
// so an upload does not hold its pack buffer through the fsyncs.
//
// On Linux, large writes (O_DIRECT) and PutDeferred's background fsyncs go
// through native AIO where the kernel has it, so a goroutine waiting for
// the disk does not hold one of the runtime's Ps meanwhile (aio_linux.go);
// elsewhere, or if AIO is refused, they are plain blocking calls. Put's own
// fsyncs stay blocking: they are on their caller's path, one after the
// other, and an AIO fsync (run by a kernel worker) answers later.
//
// Unlike on S3, one name cannot be both an object and a directory of other
// objects ("a" and "a/b"); the repository layout never asks for that. A Put
// interrupted by a crash can leave a temporary file behind: it is never
// listed, and RemoveTemporary deletes such files.
package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/arcabackup/arca/internal/repo/blob"
)

var (
	_ blob.Store    = (*Store)(nil)
	_ blob.Deferrer = (*Store)(nil)
)

const (
	dirMode  = 0o700
	fileMode = 0o400 // objects are read-only once written
	tmpGlob  = ".tmp-*"
)

// Store keeps objects as files under a directory.
type Store struct {
	root     string
	deferred deferred
	aio      *aio
}

// New returns a Store in dir, creating dir if it does not exist.
func New(dir string) (*Store, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local store %s: %w", dir, err)
	}
	if err := os.MkdirAll(root, dirMode); err != nil {
		return nil, fmt.Errorf("local store: %w", err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("local store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local store %s: not a directory", root)
	}
	return &Store{root: root, deferred: newDeferred(), aio: newAIO()}, nil
}

// Connections implements blob.Store: twice GOMAXPROCS, so I/O waits overlap.
func (s *Store) Connections() int { return 2 * runtime.GOMAXPROCS(0) }

// Location implements blob.Store.
func (s *Store) Location() string { return "local:" + s.root }

func (s *Store) path(name string) string {
	return filepath.Join(s.root, filepath.FromSlash(name))
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, name string) (blob.Info, error) {
	if err := check(ctx, "stat", name); err != nil {
		return blob.Info{}, err
	}
	fi, err := os.Stat(s.path(name))
	if err != nil {
		return blob.Info{}, fmt.Errorf("stat %s: %w", name, mapNotExist(err))
	}
	if !fi.Mode().IsRegular() {
		return blob.Info{}, fmt.Errorf("stat %s: %w", name, blob.ErrNotExist)
	}
	return blob.Info{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete implements blob.Store. A directory is not an object: deleting its
// name is a no-op.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := check(ctx, "delete", name); err != nil {
		return err
	}
	p := s.path(name)
	fi, err := os.Lstat(p)
	if err == nil && fi.IsDir() {
		return nil
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil && !errors.Is(mapNotExist(err), blob.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// mapNotExist turns "no such file" and "not a directory" (a path through a
// file) into blob.ErrNotExist.
func mapNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w (%w)", blob.ErrNotExist, err)
	}
	return err
}

func check(ctx context.Context, op, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if err := blob.ValidName(name); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// isTemp reports whether a directory entry is not part of the namespace
// (temporary files and anything else beginning with a dot).
func isTemp(base string) bool { return strings.HasPrefix(base, ".") }
