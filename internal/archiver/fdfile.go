package archiver

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// srcFile is a source file open for reading: a bare descriptor. An
// *os.File would try to register it with the runtime's poller (opened
// O_NONBLOCK, so as not to hang on a FIFO swapped in), one failing
// epoll_ctl per file, which on a virtual machine with costly system calls
// was a noticeable share of a backup of many small files.
type srcFile struct {
	fd   int
	path string
}

// openFile opens a regular file for reading without following a symlink
// and, where allowed, without updating its access time. It also returns
// its fstat.
func openFile(path string) (*srcFile, *syscall.Stat_t, error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := openRetry(path, flags|unix.O_NOATIME)
	if errors.Is(err, unix.EPERM) { // O_NOATIME needs the file's owner (or CAP_FOWNER)
		fd, err = openRetry(path, flags)
	}
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := &srcFile{fd: fd, path: path}
	st, err := f.stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return nil, nil, fmt.Errorf("open: no longer a regular file (mode %o)", st.Mode&unix.S_IFMT)
	}
	return f, st, nil
}

func openRetry(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// Read implements io.Reader.
func (f *srcFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: f.path, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// stat returns the file's fstat.
func (f *srcFile) stat() (*syscall.Stat_t, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(f.fd, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "stat", Path: f.path, Err: err}
		}
		return &st, nil
	}
}

// Close closes the descriptor.
func (f *srcFile) Close() error { return unix.Close(f.fd) }
