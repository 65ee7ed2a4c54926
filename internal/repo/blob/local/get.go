package local

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// Get implements blob.Store. The reader stops with the context's error once
// ctx is canceled.
func (s *Store) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := check(ctx, "get", name); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("get %s: negative offset %d", name, offset)
	}
	f, err := os.Open(s.path(name))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, mapNotExist(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("get %s: %w", name, blob.ErrNotExist)
	}
	offset = min(offset, fi.Size())
	n := fi.Size() - offset
	if length >= 0 {
		n = min(n, length)
	}
	return &reader{ctx: ctx, r: io.NewSectionReader(f, offset, n), f: f}, nil
}

// reader reads a section of a file until its Get's context is canceled.
type reader struct {
	ctx context.Context // the Get call's, checked on every Read
	r   io.Reader
	f   *os.File
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func (r *reader) Close() error { return r.f.Close() }
