// Package pack is the layout of pack files: many encrypted blobs one after
// another, then an encrypted header listing them, then a 4-byte trailer
// with the header's length. The header lets the index be rebuilt from the
// packs alone. Pure code: the caller seals and opens the header.
//
//	pack    = blob* sealed-header header-length(uint32 LE)
//	header  = version(1) count(uint32 LE) entry*
//	entry   = type(1) flags(1) raw-length(uint32 LE) length(uint32 LE) id(32)
//
// Blob offsets are implied: blobs are stored back to back from offset 0 in
// header order.
package pack

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is the header version written by this package.
const Version = 1

const (
	// EntrySize is the encoded size of one header entry.
	EntrySize = 42
	// TrailerSize is the size of the trailer.
	TrailerSize = 4
	headerFixed = 5
	// MaxEntries bounds a header so a damaged one cannot make a reader
	// allocate without limit.
	MaxEntries = 1 << 22
	// MaxBlobSize bounds one blob's plaintext (28 bits, so the index can
	// keep type and flags in the same word).
	MaxBlobSize = 1<<28 - 1
)

// FlagCompressed marks a blob whose stored plaintext is zstd-compressed.
const FlagCompressed = 1

// HeaderAD is the additional data the header is sealed with.
var HeaderAD = []byte("arca pack header v1")

// ErrFormat is wrapped by decoding errors.
var ErrFormat = errors.New("malformed pack")

// Entry describes one blob in a pack.
type Entry struct {
	Type      uint8
	Flags     uint8
	ID        [32]byte
	Offset    uint32 // implied on disk, filled in by DecodeHeader
	Length    uint32 // stored (encrypted) length
	RawLength uint32 // plaintext length
}

// BlobAD appends the additional data a blob is sealed with: the blob's
// type, flags, plaintext length and id, so a blob cannot be passed off as
// another or its flags changed without failing authentication.
func BlobAD(dst []byte, typ, flags uint8, rawLength uint32, id *[32]byte) []byte {
	dst = append(dst, typ, flags)
	dst = binary.LittleEndian.AppendUint32(dst, rawLength)
	return append(dst, id[:]...)
}

// AppendHeader appends the plaintext header for entries to dst.
func AppendHeader(dst []byte, entries []Entry) []byte {
	dst = append(dst, Version)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(entries)))
	for i := range entries {
		e := &entries[i]
		dst = append(dst, e.Type, e.Flags)
		dst = binary.LittleEndian.AppendUint32(dst, e.RawLength)
		dst = binary.LittleEndian.AppendUint32(dst, e.Length)
		dst = append(dst, e.ID[:]...)
	}
	return dst
}

// DecodeHeader decodes a plaintext header of a pack whose blobs occupy
// dataLen bytes, filling in offsets and checking that the blobs tile the
// data region exactly.
func DecodeHeader(b []byte, dataLen int64) ([]Entry, error) {
	if len(b) < headerFixed {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrFormat, len(b))
	}
	if b[0] != Version {
		return nil, fmt.Errorf("%w: header version %d unsupported", ErrFormat, b[0])
	}
	n := binary.LittleEndian.Uint32(b[1:5])
	if n > MaxEntries || int64(len(b)-headerFixed) != int64(n)*EntrySize {
		return nil, fmt.Errorf("%w: header claims %d entries in %d bytes", ErrFormat, n, len(b))
	}
	entries := make([]Entry, n)
	var off int64
	p := b[headerFixed:]
	for i := range entries {
		e := &entries[i]
		e.Type, e.Flags = p[0], p[1]
		e.RawLength = binary.LittleEndian.Uint32(p[2:6])
		e.Length = binary.LittleEndian.Uint32(p[6:10])
		copy(e.ID[:], p[10:42])
		p = p[EntrySize:]
		if e.Type != 1 && e.Type != 2 || e.Flags&^FlagCompressed != 0 || e.RawLength > MaxBlobSize || e.Length == 0 {
			return nil, fmt.Errorf("%w: entry %d: type %d flags %#x raw length %d length %d", ErrFormat, i, e.Type, e.Flags, e.RawLength, e.Length)
		}
		if off+int64(e.Length) > dataLen || off > 1<<32-1 {
			return nil, fmt.Errorf("%w: entry %d runs past the data region (%d bytes)", ErrFormat, i, dataLen)
		}
		e.Offset = uint32(off)
		off += int64(e.Length)
	}
	if off != dataLen {
		return nil, fmt.Errorf("%w: blobs cover %d of %d data bytes", ErrFormat, off, dataLen)
	}
	return entries, nil
}

// AppendTrailer appends the trailer for a sealed header of headerLen bytes.
func AppendTrailer(dst []byte, headerLen int) []byte {
	return binary.LittleEndian.AppendUint32(dst, uint32(headerLen))
}

// ParseTrailer returns the sealed header's length from the last
// TrailerSize bytes of a pack of packLen bytes, checking that it fits.
func ParseTrailer(trailer []byte, packLen int64) (int, error) {
	if len(trailer) != TrailerSize || packLen < TrailerSize {
		return 0, fmt.Errorf("%w: pack of %d bytes has no trailer", ErrFormat, packLen)
	}
	n := int64(binary.LittleEndian.Uint32(trailer))
	if n == 0 || n > packLen-TrailerSize || n > int64(MaxEntries)*EntrySize+1024 {
		return 0, fmt.Errorf("%w: header length %d in a pack of %d bytes", ErrFormat, n, packLen)
	}
	return int(n), nil
}
