package fsmeta

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo/tree"
)

// Lstatat lstats the entry name of the open directory dirfd (or, with
// dirfd unix.AT_FDCWD, the path name) without following a final symlink.
// Relative to a directory handle the kernel resolves one path component
// instead of the whole path, which is most of an lstat's cost in a deep
// tree. The error is an *os.PathError naming path.
func Lstatat(dirfd int, name, path string, st *unix.Stat_t) error {
	for {
		err := unix.Fstatat(dirfd, name, st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "lstat", Path: path, Err: err}
		}
		return nil
	}
}

// IsDir reports whether st is a directory's.
func IsDir(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }

// NodeAt is NodeSince for an lstat result st of the entry name of the open
// directory dirfd, whose full path is path: the symlink target is read
// relative to dirfd (by path with dirfd unix.AT_FDCWD), the xattrs (when
// prev does not give them) by path. The node is called name.
func (r *Reader) NodeAt(dirfd int, name, path string, st *unix.Stat_t, prev *tree.Node) (tree.Node, error) {
	n := FromUnixStat(name, st)
	n.User, n.Group = r.userName(n.UID), r.groupName(n.GID)
	if n.Type == tree.TypeSymlink {
		link := name
		if dirfd == unix.AT_FDCWD {
			link = path
		}
		target, err := readlinkat(dirfd, link, int(st.Size))
		if err != nil {
			return tree.Node{}, fmt.Errorf("read link: %w", err)
		}
		n.LinkTarget = target
		return n, nil
	}
	if r.NoXattrs {
		return n, nil
	}
	if sameInode(prev, &n) {
		n.Xattrs = prev.Xattrs
		return n, nil
	}
	xs, err := ReadXattrs(path)
	if err != nil {
		return tree.Node{}, err
	}
	n.Xattrs = xs
	return n, nil
}

// readlinkat reads the target of the symlink name in dirfd; size is the
// link's lstat size, a hint (a link can change in between).
func readlinkat(dirfd int, name string, size int) (string, error) {
	buf := make([]byte, max(size+1, 128))
	for {
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

// FromUnixStat is FromStat for a golang.org/x/sys/unix lstat result.
func FromUnixStat(name string, st *unix.Stat_t) tree.Node {
	n := tree.Node{
		Name:       name,
		Type:       TypeOf(uint32(st.Mode)),
		Mode:       uint32(st.Mode) & tree.ModeMask,
		UID:        st.Uid,
		GID:        st.Gid,
		Size:       uint64(st.Size),
		ModTime:    unixTime(st.Mtim),
		ChangeTime: unixTime(st.Ctim),
		AccessTime: unixTime(st.Atim),
		Inode:      uint64(st.Ino),
		DeviceID:   uint64(st.Dev),
		Links:      uint64(st.Nlink),
	}
	switch n.Type {
	case tree.TypeDevice, tree.TypeCharDev:
		n.Device = uint64(st.Rdev)
		n.Size = 0
	case tree.TypeDir, tree.TypeFIFO, tree.TypeSocket:
		n.Size = 0
	}
	return n
}

func unixTime(ts unix.Timespec) time.Time {
	return time.Unix(int64(ts.Sec), int64(ts.Nsec)).UTC()
}
