package restorer

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// dirHandle is an open handle on a directory of the target, shared by the
// walker and the workers writing that directory's files: creating a file
// with openat on its directory's handle is one system call, where a path
// through os.Root opens every directory on the way. The directory is
// opened on first use and closed when the last reference is released.
type dirHandle struct {
	root *os.Root
	rel  string
	refs atomic.Int64

	mu  sync.Mutex
	f   *os.File
	fd  int
	err error
}

// newDirHandle returns a handle on the directory rel with one reference.
func newDirHandle(root *os.Root, rel string) *dirHandle {
	h := &dirHandle{root: root, rel: rel}
	h.refs.Store(1)
	return h
}

func (h *dirHandle) acquire() { h.refs.Add(1) }

func (h *dirHandle) release() {
	if h.refs.Add(-1) != 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f != nil {
		h.f.Close()
		h.f = nil
	}
}

// get returns the open directory and its descriptor, valid while the
// caller holds a reference.
func (h *dirHandle) get() (*os.File, int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil && h.err == nil {
		// O_NOFOLLOW: the directory made (or checked) by the walker, never
		// a symlink put in its place since.
		h.f, h.err = h.root.OpenFile(h.rel, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
		if h.err == nil {
			h.fd = int(h.f.Fd())
		}
	}
	return h.f, h.fd, h.err
}
