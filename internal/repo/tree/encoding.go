package tree

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The encoding (version 1), all integers as (u)varints in their shortest
// form, every "bytes" field as a uvarint length followed by the bytes:
//
//	tree  = magic "ATR" version(1) count:uvarint node*
//	node  = name:bytes type:byte mode:uvarint uid:uvarint gid:uvarint
//	        user:bytes group:bytes size:uvarint mtime ctime atime
//	        inode:uvarint devid:uvarint links:uvarint target:bytes
//	        rdev:uvarint nxattr:uvarint (name:bytes value:bytes)*
//	        ncontent:uvarint id[32]* subtree:(0 | 1 id[32])
//	time  = seconds:varint nanoseconds:uvarint (< 1e9)
//
// The encoding is canonical: nodes sorted by name with unique, non-empty
// names; xattrs sorted by unique, non-empty name; content only on files, a
// subtree only on directories, a link target only on symlinks, a device
// number only on devices. The decoder rejects anything else, including
// non-minimal varints and trailing bytes, so that Decode followed by Encode
// gives back the input byte for byte.

const version1 = 1

var magic = [4]byte{'A', 'T', 'R', version1}

// minNodeLen is a lower bound of an encoded node's length, used to bound
// allocations by the input's size.
const minNodeLen = 20

// maxTimeSec bounds the seconds of a stored time (about ±34,800 years);
// the encoder clamps times outside it.
const maxTimeSec = 1 << 40

// ErrCorrupt is returned (wrapped) by Decode for malformed input.
var ErrCorrupt = errors.New("corrupt tree")

// Encode returns the canonical encoding of t, whose nodes must already be
// sorted (see Tree.Sort).
func Encode(t *Tree) ([]byte, error) {
	return Append(make([]byte, 0, 64+len(t.Nodes)*96), t)
}

// Append appends the canonical encoding of t to dst.
func Append(dst []byte, t *Tree) ([]byte, error) {
	dst = append(dst, magic[:]...)
	dst = binary.AppendUvarint(dst, uint64(len(t.Nodes)))
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if i > 0 && t.Nodes[i-1].Name >= n.Name {
			return nil, fmt.Errorf("encode tree: node %q: names not sorted or not unique", n.Name)
		}
		if err := checkNode(n); err != nil {
			return nil, fmt.Errorf("encode tree: %w", err)
		}
		dst = appendNode(dst, n)
	}
	return dst, nil
}

// checkNode verifies the invariants of one node that the decoder enforces.
func checkNode(n *Node) error {
	if n.Name == "" {
		return errors.New("node with an empty name")
	}
	if n.Type == 0 || n.Type > typeMax {
		return fmt.Errorf("node %q: unknown type %d", n.Name, n.Type)
	}
	if n.Mode&^ModeMask != 0 {
		return fmt.Errorf("node %q: mode %o has bits beyond %o", n.Name, n.Mode, ModeMask)
	}
	if len(n.Content) > 0 && n.Type != TypeFile {
		return fmt.Errorf("node %q: content on a %v", n.Name, n.Type)
	}
	if n.Subtree != nil && n.Type != TypeDir {
		return fmt.Errorf("node %q: subtree on a %v", n.Name, n.Type)
	}
	if n.LinkTarget != "" && n.Type != TypeSymlink {
		return fmt.Errorf("node %q: link target on a %v", n.Name, n.Type)
	}
	if n.Device != 0 && n.Type != TypeDevice && n.Type != TypeCharDev {
		return fmt.Errorf("node %q: device number on a %v", n.Name, n.Type)
	}
	for i, x := range n.Xattrs {
		if x.Name == "" {
			return fmt.Errorf("node %q: xattr with an empty name", n.Name)
		}
		if i > 0 && n.Xattrs[i-1].Name >= x.Name {
			return fmt.Errorf("node %q: xattrs not sorted or not unique", n.Name)
		}
	}
	return nil
}

func appendNode(b []byte, n *Node) []byte {
	b = appendString(b, n.Name)
	b = append(b, byte(n.Type))
	b = binary.AppendUvarint(b, uint64(n.Mode))
	b = binary.AppendUvarint(b, uint64(n.UID))
	b = binary.AppendUvarint(b, uint64(n.GID))
	b = appendString(b, n.User)
	b = appendString(b, n.Group)
	b = binary.AppendUvarint(b, n.Size)
	b = appendTime(b, n.ModTime)
	b = appendTime(b, n.ChangeTime)
	b = appendTime(b, n.AccessTime)
	b = binary.AppendUvarint(b, n.Inode)
	b = binary.AppendUvarint(b, n.DeviceID)
	b = binary.AppendUvarint(b, n.Links)
	b = appendString(b, n.LinkTarget)
	b = binary.AppendUvarint(b, n.Device)
	b = binary.AppendUvarint(b, uint64(len(n.Xattrs)))
	for _, x := range n.Xattrs {
		b = appendString(b, x.Name)
		b = binary.AppendUvarint(b, uint64(len(x.Value)))
		b = append(b, x.Value...)
	}
	b = binary.AppendUvarint(b, uint64(len(n.Content)))
	for i := range n.Content {
		b = append(b, n.Content[i][:]...)
	}
	if n.Subtree == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	return append(b, n.Subtree[:]...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	switch {
	case sec > maxTimeSec:
		sec, nsec = maxTimeSec, 0
	case sec < -maxTimeSec:
		sec, nsec = -maxTimeSec, 0
	}
	b = binary.AppendVarint(b, sec)
	return binary.AppendUvarint(b, uint64(nsec))
}
