// Package index maps blob ids to their place in pack files. In memory it
// is a log-structured set of immutable sorted segments of fixed 48-byte
// entries (no per-blob pointers or map buckets); large segments can spill
// to files in a cache directory, leaving a sparse key table in memory. The
// package also encodes and decodes the repository's index objects. Pure
// code apart from the optional spill files.
package index

import (
	"bytes"
	"cmp"
)

// Blob is one index record: where a blob is stored.
type Blob struct {
	Type      uint8
	Flags     uint8
	ID        [32]byte
	Pack      [32]byte
	Offset    uint32
	Length    uint32
	RawLength uint32
}

// entry is the in-memory and spill-file form of a record: 48 bytes.
type entry struct {
	id     [32]byte
	pack   uint32 // index into the pack table
	offset uint32
	length uint32
	meta   uint32 // raw length (28 bits) | flags (2 bits) << 28 | type (2 bits) << 30
}

const (
	entrySize = 48
	rawMask   = 1<<28 - 1
)

func makeMeta(typ, flags uint8, raw uint32) uint32 {
	return raw&rawMask | uint32(flags&3)<<28 | uint32(typ&3)<<30
}

func (e *entry) typ() uint8   { return uint8(e.meta >> 30) }
func (e *entry) flags() uint8 { return uint8(e.meta>>28) & 3 }
func (e *entry) raw() uint32  { return e.meta & rawMask }

// compareKey orders entries by id, then type.
func compareKey(id *[32]byte, typ uint8, e *entry) int {
	if c := bytes.Compare(id[:], e.id[:]); c != 0 {
		return c
	}
	return cmp.Compare(typ, e.typ())
}

func compareEntries(a, b entry) int { return compareKey(&a.id, a.typ(), &b) }
