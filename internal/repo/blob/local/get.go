package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// Get implements blob.Store. The reader stops with the context's error once
// ctx is canceled.
//
// The file is read through a bare descriptor with pread(2): a restore gets
// one range per blob, and an *os.File would add an fcntl and a failed
// epoll registration to every one of them.
func (s *Store) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := check(ctx, "get", name); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("get %s: negative offset %d", name, offset)
	}
	p := s.path(name)
	fd, err := openRead(p)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, mapNotExist(&os.PathError{Op: "open", Path: p, Err: err}))
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("get %s: %w", name, &os.PathError{Op: "stat", Path: p, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("get %s: %w", name, blob.ErrNotExist)
	}
	offset = min(offset, st.Size)
	end := st.Size
	if length >= 0 {
		end = min(end, offset+length)
	}
	return &reader{ctx: ctx, fd: fd, off: offset, end: end, path: p}, nil
}

// openRead opens p read-only. O_NONBLOCK: a FIFO put in the repository
// never blocks the open (Get then refuses it as not a regular file); it
// does not change reads of regular files.
func openRead(p string) (int, error) {
	for {
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}

// reader reads the bytes [off, end) of a file with pread until its Get's
// context is canceled.
type reader struct {
	ctx  context.Context // the Get call's, checked on every Read
	fd   int
	off  int64
	end  int64
	path string
	once sync.Once
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if r.off >= r.end {
		return 0, io.EOF
	}
	if int64(len(p)) > r.end-r.off {
		p = p[:r.end-r.off]
	}
	for {
		n, err := unix.Pread(r.fd, p, r.off)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: r.path, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF // the file shrank since Get
		}
		r.off += int64(n)
		return n, nil
	}
}

func (r *reader) Close() error {
	err := os.ErrClosed
	r.once.Do(func() { err = unix.Close(r.fd) })
	return err
}
