package tree

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Decode parses an encoded tree. It accepts only the canonical encoding
// (see Encode) and never allocates more than a small multiple of len(data).
func Decode(data []byte) (*Tree, error) {
	d := decoder{s: string(data)}
	t, err := d.tree()
	if err != nil {
		return nil, fmt.Errorf("%w: %w (at byte %d)", ErrCorrupt, err, d.off)
	}
	return t, nil
}

// decoder reads from one string so that names are substrings of it and
// cost no allocation each.
type decoder struct {
	s    string
	off  int
	slab []ID // content ids of many nodes share one allocation
}

type decodeError string

func (e decodeError) Error() string { return string(e) }

const (
	errShort    = decodeError("unexpected end of data")
	errVarint   = decodeError("malformed or non-minimal varint")
	errTrailing = decodeError("trailing bytes")
)

func (d *decoder) tree() (*Tree, error) {
	if len(d.s) < len(magic) || d.s[:3] != string(magic[:3]) {
		return nil, decodeError("bad magic")
	}
	if d.s[3] != version1 {
		return nil, fmt.Errorf("unsupported tree version %d", d.s[3])
	}
	d.off = len(magic)
	count, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if count > uint64(d.left()/minNodeLen) {
		return nil, errShort
	}
	t := &Tree{Nodes: make([]Node, count)}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if err := d.node(n); err != nil {
			return nil, err
		}
		if i > 0 && t.Nodes[i-1].Name >= n.Name {
			return nil, fmt.Errorf("node %q: names not sorted or not unique", n.Name)
		}
		if err := checkNode(n); err != nil {
			return nil, err
		}
	}
	if d.left() != 0 {
		return nil, errTrailing
	}
	return t, nil
}

func (d *decoder) node(n *Node) error {
	var err error
	var mode, uid, gid, nx, nc uint64
	n.Name, err = d.str(err)
	var typ byte
	typ, err = d.byte(err)
	n.Type = Type(typ)
	mode, err = d.uv(err)
	uid, err = d.uv(err)
	gid, err = d.uv(err)
	n.User, err = d.str(err)
	n.Group, err = d.str(err)
	n.Size, err = d.uv(err)
	n.ModTime, err = d.time(err)
	n.ChangeTime, err = d.time(err)
	n.AccessTime, err = d.time(err)
	n.Inode, err = d.uv(err)
	n.DeviceID, err = d.uv(err)
	n.Links, err = d.uv(err)
	n.LinkTarget, err = d.str(err)
	n.Device, err = d.uv(err)
	nx, err = d.uv(err)
	if err != nil {
		return err
	}
	if mode > ModeMask || uid > 1<<32-1 || gid > 1<<32-1 {
		return fmt.Errorf("node %q: mode, uid or gid out of range", n.Name)
	}
	n.Mode, n.UID, n.GID = uint32(mode), uint32(uid), uint32(gid)
	if err := d.xattrs(n, nx); err != nil {
		return err
	}
	if nc, err = d.uvarint(); err != nil {
		return err
	}
	if err := d.content(n, nc); err != nil {
		return err
	}
	return d.subtree(n)
}

func (d *decoder) xattrs(n *Node, count uint64) error {
	if count == 0 {
		return nil
	}
	if count > uint64(d.left()/2) {
		return errShort
	}
	n.Xattrs = make([]Xattr, count)
	var err error
	for i := range n.Xattrs {
		n.Xattrs[i].Name, err = d.str(err)
		var v string
		v, err = d.str(err)
		if v != "" {
			n.Xattrs[i].Value = []byte(v)
		}
	}
	return err
}

func (d *decoder) content(n *Node, count uint64) error {
	if count == 0 {
		return nil
	}
	if count > uint64(d.left()/len(ID{})) {
		return errShort
	}
	if uint64(cap(d.slab)-len(d.slab)) < count {
		d.slab = make([]ID, 0, max(count, uint64(d.left()/minNodeLen/4), 64))
	}
	start := len(d.slab)
	d.slab = d.slab[:start+int(count)]
	// A full slice expression, so that appending to one node's content
	// can never overwrite the next node's.
	n.Content = d.slab[start : start+int(count) : start+int(count)]
	for i := range n.Content {
		copy(n.Content[i][:], d.s[d.off:])
		d.off += len(ID{})
	}
	return nil
}

func (d *decoder) subtree(n *Node) error {
	has, err := d.byte(nil)
	if err != nil {
		return err
	}
	switch has {
	case 0:
		return nil
	case 1:
		if d.left() < len(ID{}) {
			return errShort
		}
		var id ID
		copy(id[:], d.s[d.off:])
		d.off += len(id)
		n.Subtree = &id
		return nil
	}
	return fmt.Errorf("node %q: bad subtree flag %d", n.Name, has)
}

func (d *decoder) left() int { return len(d.s) - d.off }

// The helpers below take the previous error and do nothing once there is
// one, so that a run of fields reads as a straight list.

func (d *decoder) byte(err error) (byte, error) {
	if err != nil {
		return 0, err
	}
	if d.left() < 1 {
		return 0, errShort
	}
	d.off++
	return d.s[d.off-1], nil
}

func (d *decoder) uv(err error) (uint64, error) {
	if err != nil {
		return 0, err
	}
	return d.uvarint()
}

func (d *decoder) uvarint() (uint64, error) {
	var x uint64
	for i, shift := 0, uint(0); i < binary.MaxVarintLen64; i, shift = i+1, shift+7 {
		if d.off+i >= len(d.s) {
			return 0, errShort
		}
		b := d.s[d.off+i]
		if i == binary.MaxVarintLen64-1 && b > 1 {
			return 0, errVarint
		}
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			if b == 0 && i > 0 {
				return 0, errVarint // non-minimal: a trailing zero group
			}
			d.off += i + 1
			return x, nil
		}
	}
	return 0, errVarint
}

func (d *decoder) str(err error) (string, error) {
	n, err := d.uv(err)
	if err != nil {
		return "", err
	}
	if n > uint64(d.left()) {
		return "", errShort
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

func (d *decoder) time(err error) (time.Time, error) {
	u, err := d.uv(err)
	if err != nil {
		return time.Time{}, err
	}
	sec := int64(u >> 1) // zig-zag, as binary.AppendVarint writes it
	if u&1 != 0 {
		sec = ^sec
	}
	nsec, err := d.uvarint()
	if err != nil {
		return time.Time{}, err
	}
	if nsec >= 1e9 || sec > maxTimeSec || sec < -maxTimeSec {
		return time.Time{}, decodeError("time out of range")
	}
	return time.Unix(sec, int64(nsec)).UTC(), nil
}
