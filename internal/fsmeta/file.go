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
	var errs []error
	if opts.Owner {
		if err := f.Chown(int(n.UID), int(n.GID)); err != nil {
			errs = append(errs, fmt.Errorf("chown: %w", err))
		}
	}
	if err := unix.Fchmod(int(f.Fd()), n.Mode&tree.ModeMask); err != nil {
		errs = append(errs, fmt.Errorf("chmod: %w", err))
	}
	if xattrs {
		if err := SetXattrs(f, n.Xattrs); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SetFileTimes sets access and modification times of an open file with
// nanosecond precision (futimens). A zero access time takes the
// modification time.
func SetFileTimes(f *os.File, n *tree.Node) error {
	atime := n.AccessTime
	if atime.IsZero() {
		atime = n.ModTime
	}
	ts := [2]unix.Timespec{
		{Sec: atime.Unix(), Nsec: int64(atime.Nanosecond())},
		{Sec: n.ModTime.Unix(), Nsec: int64(n.ModTime.Nanosecond())},
	}
	// utimensat(fd, NULL, ts, 0) is futimens(fd, ts).
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, f.Fd(), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return fmt.Errorf("set times: %w", errno)
	}
	return nil
}
