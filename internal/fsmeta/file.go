package fsmeta

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo/tree"
)

// ApplyFile sets owner (if asked), mode and xattrs on an open file or
// directory, in that order (chown clears setuid and setgid). Times are set
// separately with SetFileTimes, after the last write.
func ApplyFile(f *os.File, n *tree.Node, opts ApplyOptions, xattrs bool) error {
	return ApplyFd(int(f.Fd()), n, opts, xattrs)
}

// ApplyFd is ApplyFile on a bare descriptor.
func ApplyFd(fd int, n *tree.Node, opts ApplyOptions, xattrs bool) error {
	var errs []error
	if opts.Owner {
		if err := ignoringEINTR(func() error { return unix.Fchown(fd, int(n.UID), int(n.GID)) }); err != nil {
			errs = append(errs, fmt.Errorf("chown: %w", err))
		}
	}
	if err := ignoringEINTR(func() error { return unix.Fchmod(fd, n.Mode&tree.ModeMask) }); err != nil {
		errs = append(errs, fmt.Errorf("chmod: %w", err))
	}
	if xattrs {
		if err := setXattrsFd(fd, n.Xattrs); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// SetFileTimes sets access and modification times of an open file with
// nanosecond precision (futimens). A zero access time takes the
// modification time.
func SetFileTimes(f *os.File, n *tree.Node) error {
	return SetFdTimes(int(f.Fd()), n)
}

// SetFdTimes is SetFileTimes on a bare descriptor.
func SetFdTimes(fd int, n *tree.Node) error {
	atime := n.AccessTime
	if atime.IsZero() {
		atime = n.ModTime
	}
	ts := [2]unix.Timespec{
		{Sec: atime.Unix(), Nsec: int64(atime.Nanosecond())},
		{Sec: n.ModTime.Unix(), Nsec: int64(n.ModTime.Nanosecond())},
	}
	// utimensat(fd, NULL, ts, 0) is futimens(fd, ts).
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return fmt.Errorf("set times: %w", errno)
	}
	return nil
}
