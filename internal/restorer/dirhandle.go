package restorer

import (
	"errors"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// dirHandle is an open directory of the target, shared by the walker and
// the workers writing that directory's files: files and subdirectories
// are created with openat and mkdirat on its descriptor, one system call
// each, where a path through os.Root opens every directory on the way.
// The walker opens a directory (relative to its parent's handle, with
// O_NOFOLLOW, so never through a symlink) when it enters it; the handle is
// closed when the last reference is released.
type dirHandle struct {
	rel  string
	f    *os.File // nil when err is set
	fd   int
	err  error
	refs atomic.Int64

	// ours is set for a directory this restore created (mode 0700 until
	// its metadata is set at the end, so no one else can change it);
	// newGID is the group a file created in it gets. Together they let a
	// file skip a chown that would change nothing.
	ours   bool
	newGID uint32
}

// openRootHandle returns a handle with one reference on the target
// directory itself.
func openRootHandle(root *os.Root) *dirHandle {
	h := &dirHandle{rel: "."}
	h.refs.Store(1)
	h.f, h.err = root.OpenFile(".", os.O_RDONLY|unix.O_DIRECTORY, 0)
	if h.err == nil {
		h.fd = int(h.f.Fd())
	}
	return h
}

// openChild returns a handle with one reference on the directory name
// inside parent (rel is its path in the target). ours says the restore
// just created it.
func openChild(parent *dirHandle, name, rel string, ours bool) *dirHandle {
	h := &dirHandle{rel: rel}
	h.refs.Store(1)
	if parent.err != nil {
		h.err = parent.err
		return h
	}
	fd, err := openat(parent.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		h.err = &os.PathError{Op: "open", Path: rel, Err: err}
		return h
	}
	h.f, h.fd = os.NewFile(uintptr(fd), rel), fd
	if ours {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil {
			h.ours = true
			h.newGID = uint32(os.Getegid())
			if st.Mode&unix.S_ISGID != 0 {
				h.newGID = st.Gid
			}
		}
	}
	return h
}

func (h *dirHandle) acquire() { h.refs.Add(1) }

func (h *dirHandle) release() {
	if h.refs.Add(-1) == 0 && h.f != nil {
		h.f.Close()
	}
}

// get returns the open directory and its descriptor, valid while the
// caller holds a reference.
func (h *dirHandle) get() (*os.File, int, error) { return h.f, h.fd, h.err }

// openat is unix.Openat, retried on EINTR.
func openat(dirfd int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, mode)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}
