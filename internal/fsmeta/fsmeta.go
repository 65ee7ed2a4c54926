// Package fsmeta reads file metadata from the local file system into
// tree.Nodes (type, mode, owner, times, inode, devices, symlink targets,
// extended attributes) and applies it back when restoring.
//
// It is Linux-first: it reads syscall.Stat_t and uses the *at system calls
// on a directory handle so that applying metadata never follows a symlink
// that is already on disk.
package fsmeta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/arcabackup/arca/internal/repo/tree"
)

// Reader turns lstat results into nodes. It caches user and group names.
// Safe for concurrent use.
type Reader struct {
	// NoXattrs skips reading extended attributes.
	NoXattrs bool

	mu     sync.Mutex
	users  map[uint32]string
	groups map[uint32]string
}

// NewReader returns a Reader.
func NewReader() *Reader {
	return &Reader{users: map[uint32]string{}, groups: map[uint32]string{}}
}

// ErrUnsupported is returned for a file whose stat data is not a Unix one.
var ErrUnsupported = errors.New("unsupported file metadata")

// Node builds the node for the file at path, whose lstat result is fi.
// It reads the symlink target and the xattrs when there are any. The
// node's name is fi.Name().
func (r *Reader) Node(path string, fi fs.FileInfo) (tree.Node, error) {
	return r.NodeSince(path, fi, nil)
}

// NodeSince is Node, reusing the xattrs of prev — the same path's node in
// an earlier snapshot — when prev describes the same inode with the same
// change time: setting or removing an xattr changes the ctime, so the list
// cannot have changed, and an incremental backup saves a listxattr per
// unchanged file.
func (r *Reader) NodeSince(path string, fi fs.FileInfo, prev *tree.Node) (tree.Node, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return tree.Node{}, fmt.Errorf("%s: %w", path, ErrUnsupported)
	}
	n := FromStat(fi.Name(), st)
	n.User, n.Group = r.userName(n.UID), r.groupName(n.GID)
	if n.Type == tree.TypeSymlink {
		target, err := os.Readlink(path)
		if err != nil {
			return tree.Node{}, fmt.Errorf("read link: %w", err)
		}
		n.LinkTarget = target
	}
	if !r.NoXattrs && n.Type != tree.TypeSymlink && sameInode(prev, &n) {
		n.Xattrs = prev.Xattrs
	} else if !r.NoXattrs && n.Type != tree.TypeSymlink {
		xs, err := ReadXattrs(path)
		if err != nil {
			return tree.Node{}, err
		}
		n.Xattrs = xs
	}
	return n, nil
}

// sameInode reports whether prev is the same file as n, unchanged in its
// metadata since (inode, device, type and change time).
func sameInode(prev, n *tree.Node) bool {
	return prev != nil && prev.Inode == n.Inode && prev.DeviceID == n.DeviceID && prev.Type == n.Type &&
		!prev.ChangeTime.IsZero() && prev.ChangeTime.Equal(n.ChangeTime)
}

// FromStat builds a node from a stat result, without names, link target or
// xattrs.
func FromStat(name string, st *syscall.Stat_t) tree.Node {
	n := tree.Node{
		Name:       name,
		Type:       TypeOf(st.Mode),
		Mode:       st.Mode & tree.ModeMask,
		UID:        st.Uid,
		GID:        st.Gid,
		Size:       uint64(st.Size),
		ModTime:    timespec(st.Mtim),
		ChangeTime: timespec(st.Ctim),
		AccessTime: timespec(st.Atim),
		Inode:      st.Ino,
		DeviceID:   st.Dev,
		Links:      uint64(st.Nlink),
	}
	switch n.Type {
	case tree.TypeDevice, tree.TypeCharDev:
		n.Device = st.Rdev
		n.Size = 0
	case tree.TypeDir, tree.TypeFIFO, tree.TypeSocket:
		n.Size = 0
	}
	return n
}

// TypeOf maps the file type bits of st_mode to a node type (0 if unknown).
func TypeOf(mode uint32) tree.Type {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return tree.TypeFile
	case syscall.S_IFDIR:
		return tree.TypeDir
	case syscall.S_IFLNK:
		return tree.TypeSymlink
	case syscall.S_IFBLK:
		return tree.TypeDevice
	case syscall.S_IFCHR:
		return tree.TypeCharDev
	case syscall.S_IFIFO:
		return tree.TypeFIFO
	case syscall.S_IFSOCK:
		return tree.TypeSocket
	}
	return 0
}

func timespec(ts syscall.Timespec) time.Time {
	return time.Unix(ts.Sec, ts.Nsec).UTC()
}

func (r *Reader) userName(uid uint32) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	name, ok := r.users[uid]
	if !ok {
		if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
			name = u.Username
		}
		r.users[uid] = name
	}
	return name
}

func (r *Reader) groupName(gid uint32) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	name, ok := r.groups[gid]
	if !ok {
		if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
			name = g.Name
		}
		r.groups[gid] = name
	}
	return name
}
