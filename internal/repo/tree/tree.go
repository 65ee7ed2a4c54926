// Package tree holds the directory objects of a snapshot: a Tree is the list
// of Nodes (files, directories, links, devices ...) of one directory, sorted
// by name, and this package gives it one canonical, deterministic binary
// encoding.
//
// The package is pure code: no I/O and no dependency on the repository
// engine, which stores encoded trees as tree blobs. A blob id is a plain
// [32]byte here (ID), assignable to and from the repository's own id type.
//
// Names are arbitrary byte strings (a file name on Linux need not be valid
// UTF-8) and round-trip exactly. Whether a name is safe to create on disk is
// a separate question answered by ValidName: the decoder accepts any
// non-empty name so that tools can still read and report hostile trees.
package tree

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ID is the id of a blob in the repository: 32 bytes of keyed hash.
type ID = [32]byte

// Type is the kind of a node.
type Type uint8

// The node types. Their numeric values are part of the encoding.
const (
	TypeFile    Type = 1
	TypeDir     Type = 2
	TypeSymlink Type = 3
	TypeDevice  Type = 4 // block device
	TypeCharDev Type = 5
	TypeFIFO    Type = 6
	TypeSocket  Type = 7
	typeMax          = TypeSocket
)

// String returns the lower-case name of the type.
func (t Type) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeSymlink:
		return "symlink"
	case TypeDevice:
		return "device"
	case TypeCharDev:
		return "chardev"
	case TypeFIFO:
		return "fifo"
	case TypeSocket:
		return "socket"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Xattr is one extended attribute.
type Xattr struct {
	Name  string
	Value []byte
}

// Node is one entry of a directory.
//
// Hard links: every node of a file with Links > 1 records Inode and
// DeviceID; nodes sharing both are links to one file (the archiver stores
// its content once and the restorer recreates the links).
type Node struct {
	Name string
	Type Type
	// Mode holds the permission bits plus setuid, setgid and sticky
	// (the low 12 bits of st_mode).
	Mode       uint32
	UID, GID   uint32
	User       string
	Group      string
	Size       uint64
	ModTime    time.Time
	ChangeTime time.Time
	AccessTime time.Time
	Inode      uint64
	DeviceID   uint64 // st_dev: the file system the file was on
	Links      uint64
	LinkTarget string // symlink target, as stored on disk
	Device     uint64 // st_rdev of a device node
	Xattrs     []Xattr
	Content    []ID // data blobs of a file, in order
	Subtree    *ID  // tree blob of a directory
}

// Tree is the content of one directory: nodes sorted by name, names unique.
type Tree struct {
	Nodes []Node
}

// ModeMask is the part of a mode that Node.Mode keeps.
const ModeMask = 0o7777

// Sort sorts the nodes by name and each node's xattrs by name.
func (t *Tree) Sort() {
	sort.Slice(t.Nodes, func(i, j int) bool { return t.Nodes[i].Name < t.Nodes[j].Name })
	for i := range t.Nodes {
		x := t.Nodes[i].Xattrs
		sort.Slice(x, func(i, j int) bool { return x[i].Name < x[j].Name })
	}
}

// Find returns the node called name, or nil.
func (t *Tree) Find(name string) *Node {
	i := sort.Search(len(t.Nodes), func(i int) bool { return t.Nodes[i].Name >= name })
	if i < len(t.Nodes) && t.Nodes[i].Name == name {
		return &t.Nodes[i]
	}
	return nil
}

// ErrInvalidName is returned (wrapped) by ValidName.
var ErrInvalidName = errors.New("invalid node name")

// ValidName reports whether name is safe to create as one entry of a
// directory: not empty, not "." or "..", and free of "/" and NUL.
func ValidName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("%w: %q contains a slash or NUL", ErrInvalidName, name)
	}
	return nil
}
