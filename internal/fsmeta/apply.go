package fsmeta

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo/tree"
)

// ApplyOptions say which metadata Apply restores.
type ApplyOptions struct {
	// Owner restores uid and gid (needs root, or CAP_CHOWN).
	Owner bool
}

// Apply sets owner (if asked), mode and times of the entry name inside
// the open directory dir, never following a symlink at name: a symlink
// gets owner and times only, as Linux has no mode for links. Owner comes
// first because chown clears the setuid and setgid bits; times come last.
func Apply(dir *os.File, name string, n *tree.Node, opts ApplyOptions) error {
	fd := int(dir.Fd())
	var errs []error
	if opts.Owner {
		if err := unix.Fchownat(fd, name, int(n.UID), int(n.GID), unix.AT_SYMLINK_NOFOLLOW); err != nil {
			errs = append(errs, fmt.Errorf("chown: %w", err))
		}
	}
	if n.Type != tree.TypeSymlink {
		if err := unix.Fchmodat(fd, name, n.Mode&tree.ModeMask, 0); err != nil {
			errs = append(errs, fmt.Errorf("chmod: %w", err))
		}
	}
	if err := SetTimes(dir, name, n); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// SetTimes sets access and modification times of name inside dir without
// following a symlink. A zero access time takes the modification time.
func SetTimes(dir *os.File, name string, n *tree.Node) error {
	atime := n.AccessTime
	if atime.IsZero() {
		atime = n.ModTime
	}
	ts := []unix.Timespec{
		{Sec: atime.Unix(), Nsec: int64(atime.Nanosecond())},
		{Sec: n.ModTime.Unix(), Nsec: int64(n.ModTime.Nanosecond())},
	}
	if err := unix.UtimesNanoAt(int(dir.Fd()), name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

// Mknod creates a device node, FIFO or socket node name inside dir. A
// socket is created as a plain socket inode (nothing listens on it).
func Mknod(dir *os.File, name string, n *tree.Node) error {
	var kind uint32
	switch n.Type {
	case tree.TypeDevice:
		kind = unix.S_IFBLK
	case tree.TypeCharDev:
		kind = unix.S_IFCHR
	case tree.TypeFIFO:
		kind = unix.S_IFIFO
	case tree.TypeSocket:
		kind = unix.S_IFSOCK
	default:
		return fmt.Errorf("mknod: not a special file: %v", n.Type)
	}
	if err := unix.Mknodat(int(dir.Fd()), name, kind|n.Mode&0o777, int(n.Device)); err != nil {
		return fmt.Errorf("mknod: %w", err)
	}
	return nil
}
