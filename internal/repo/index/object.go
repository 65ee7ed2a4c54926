package index

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ObjectVersion is the version of index objects written by this package.
const ObjectVersion = 1

// ErrFormat is wrapped by decoding errors.
var ErrFormat = errors.New("malformed index object")

// Object is the plaintext content of one index object ("index/<id>").
//
//	object = magic "AIDX" version(1) n-supersedes(uint32) id{n}
//	         n-packs(uint32) pack*
//	pack   = pack-id(32) n-blobs(uint32) blob*
//	blob   = type(1) flags(1) raw-length(uint32) offset(uint32) length(uint32) id(32)
//
// Integers are little-endian.
type Object struct {
	// Supersedes lists index objects whose every entry this one repeats
	// (written by index compaction); readers may skip them.
	Supersedes [][32]byte
	Packs      []PackEntries
}

// PackEntries are the blobs of one pack.
type PackEntries struct {
	ID    [32]byte
	Blobs []Blob // Pack fields are ignored when encoding and set when decoding
}

const (
	objectMagic   = "AIDX"
	blobRecord    = 46
	maxObjectList = 1 << 24
)

// Encode appends the encoding of o to dst.
func (o *Object) Encode(dst []byte) []byte {
	dst = append(dst, objectMagic...)
	dst = append(dst, ObjectVersion)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(o.Supersedes)))
	for _, id := range o.Supersedes {
		dst = append(dst, id[:]...)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(o.Packs)))
	for _, p := range o.Packs {
		dst = append(dst, p.ID[:]...)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p.Blobs)))
		for _, b := range p.Blobs {
			dst = append(dst, b.Type, b.Flags)
			dst = binary.LittleEndian.AppendUint32(dst, b.RawLength)
			dst = binary.LittleEndian.AppendUint32(dst, b.Offset)
			dst = binary.LittleEndian.AppendUint32(dst, b.Length)
			dst = append(dst, b.ID[:]...)
		}
	}
	return dst
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("%w: truncated", ErrFormat)
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) id() (id [32]byte) {
	if p := d.take(32); p != nil {
		copy(id[:], p)
	}
	return id
}

func (d *decoder) u32() uint32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(p)
}

// count reads a list length and checks that the rest can hold it.
func (d *decoder) count(recordSize int) int {
	n := d.u32()
	if d.err == nil && (n > maxObjectList || int64(n)*int64(recordSize) > int64(len(d.b))) {
		d.err = fmt.Errorf("%w: list of %d records in %d bytes", ErrFormat, n, len(d.b))
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

// DecodeObject decodes and validates an index object.
func DecodeObject(b []byte) (*Object, error) {
	d := &decoder{b: b}
	if m := d.take(5); m == nil || string(m[:4]) != objectMagic || m[4] != ObjectVersion {
		return nil, fmt.Errorf("%w: bad magic or unsupported version", ErrFormat)
	}
	o := &Object{}
	ns := d.count(32)
	for i := 0; i < ns; i++ {
		o.Supersedes = append(o.Supersedes, d.id())
	}
	np := d.count(36)
	o.Packs = make([]PackEntries, 0, np)
	for i := 0; i < np && d.err == nil; i++ {
		var p PackEntries
		p.ID = d.id()
		nb := d.count(blobRecord)
		p.Blobs = make([]Blob, nb)
		for j := range p.Blobs {
			r := d.take(blobRecord)
			if r == nil {
				break
			}
			bl := &p.Blobs[j]
			bl.Type, bl.Flags = r[0], r[1]
			bl.RawLength = binary.LittleEndian.Uint32(r[2:])
			bl.Offset = binary.LittleEndian.Uint32(r[6:])
			bl.Length = binary.LittleEndian.Uint32(r[10:])
			copy(bl.ID[:], r[14:46])
			bl.Pack = p.ID
			if bl.Type < 1 || bl.Type > 2 || bl.Flags > 1 || bl.RawLength > rawMask || bl.Length == 0 {
				d.err = fmt.Errorf("%w: pack %d blob %d: type %d flags %d raw length %d length %d", ErrFormat, i, j, bl.Type, bl.Flags, bl.RawLength, bl.Length)
			}
		}
		o.Packs = append(o.Packs, p)
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return o, nil
}

// Blobs returns all blobs of o, Pack fields set.
func (o *Object) Blobs() []Blob {
	var n int
	for _, p := range o.Packs {
		n += len(p.Blobs)
	}
	out := make([]Blob, 0, n)
	for _, p := range o.Packs {
		for _, b := range p.Blobs {
			b.Pack = p.ID
			out = append(out, b)
		}
	}
	return out
}
