package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// writeChunk is how much Put writes between checks of its context.
const writeChunk = 4 << 20

// Put implements blob.Store; see the package documentation.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	return s.put(ctx, name, data, true)
}

// put writes an object; durable fsyncs it and its directory, otherwise
// they are left to the next Sync.
func (s *Store) put(ctx context.Context, name string, data []byte, durable bool) error {
	if err := check(ctx, "put", name); err != nil {
		return err
	}
	final := s.path(name)
	dir := filepath.Dir(final)
	tmp, err := s.writeTemp(ctx, dir, data, durable)
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	if err := publish(ctx, tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", name, err)
	}
	// The object is in place; a temporary name we fail to remove is only
	// litter, which is never listed and RemoveTemporary clears.
	_ = os.Remove(tmp)
	if !durable {
		s.deferred.start(s.aio, final)
		return nil
	}
	if err := syncPath(nil, dir); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	return nil
}

// publish gives the complete file tmp the name final, unless final exists.
func publish(ctx context.Context, tmp, final string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return blob.ErrExists
		}
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// writeTemp writes data to a new read-only temporary file in dir, creating
// dir if needed, and fsyncs it if durable. It returns the file's path; on error no file
// is left behind.
func (s *Store) writeTemp(ctx context.Context, dir string, data []byte, durable bool) (path string, err error) {
	f, err := os.CreateTemp(dir, tmpGlob)
	if errors.Is(err, fs.ErrNotExist) {
		if err := s.mkdirAll(dir); err != nil {
			return "", err
		}
		f, err = os.CreateTemp(dir, tmpGlob)
	}
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close temporary file: %w", cerr)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	data, err = writeDirect(ctx, s.aio, f, data)
	if err != nil {
		return "", fmt.Errorf("write temporary file: %w", err)
	}
	for len(data) > 0 {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Write(data[:min(len(data), writeChunk)])
		if err != nil {
			return "", fmt.Errorf("write temporary file: %w", err)
		}
		data = data[n:]
	}
	if err := f.Chmod(fileMode); err != nil {
		return "", fmt.Errorf("chmod temporary file: %w", err)
	}
	if !durable {
		return f.Name(), nil
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("fsync temporary file: %w", err)
	}
	return f.Name(), nil
}

// mkdirAll creates dir and any missing parents under the store's root,
// fsyncing each parent whose entries change so the new directories survive
// a crash.
func (s *Store) mkdirAll(dir string) error {
	err := os.Mkdir(dir, dirMode)
	if errors.Is(err, fs.ErrNotExist) && dir != s.root {
		if err := s.mkdirAll(filepath.Dir(dir)); err != nil {
			return err
		}
		err = os.Mkdir(dir, dirMode)
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create directory: %w", err)
	}
	// Also when a concurrent Put made dir: it may not have fsynced yet.
	return syncPath(nil, filepath.Dir(dir))
}

// syncPath fsyncs a complete file or a directory (through a read-only
// descriptor: the objects are read-only), through AIO when it can. A
// directory's fsync makes changes to its entries durable.
func syncPath(a *aio, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open for fsync: %w", err)
	}
	defer f.Close()
	if err := a.sync(f); err != nil {
		return fmt.Errorf("fsync %s: %w", filepath.Base(path), err)
	}
	return nil
}
