package repo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zeebo/blake3"

	"github.com/arcabackup/arca/internal/repo/crypto"
	"github.com/arcabackup/arca/internal/repo/pack"
)

// This file holds primitives for check and prune (internal/checker,
// internal/pruner); see docs/garbage-collection.md.

// ExpectedPackSize returns the size of a pack file holding count blobs
// whose stored bytes total dataLen: the blobs, the sealed header and the
// trailer.
func ExpectedPackSize(count int, dataLen int64) int64 {
	return dataLen + int64(5+pack.EntrySize*count) + crypto.Overhead + pack.TrailerSize
}

// ErrPackMismatch is wrapped by VerifyPack when a pack's content does not
// hash to its name.
var ErrPackMismatch = errors.New("pack content does not match its name")

// VerifyPack reads a whole pack once, checks that its content matches its
// name (matchPackName), and verifies each of blobs (decrypt, decompress, hash), calling
// fn with nil or an error matching ErrIntegrity for each, in order. Blobs
// beyond the end of a truncated pack fail. It returns the bytes read, and
// an error when the pack cannot be read at all (a missing pack matches
// blob.ErrNotExist) or, wrapping ErrPackMismatch, when the content does
// not match its name (fn has then been called for every blob, so the
// damage is located).
func (r *Repository) VerifyPack(ctx context.Context, packID ID, blobs []PackedBlob, fn func(PackedBlob, error)) (int64, error) {
	rc, err := r.store.Get(ctx, packName(packID), 0, -1)
	if err != nil {
		return 0, fmt.Errorf("read pack %s: %w", packID.Short(), err)
	}
	var dataLen int64
	for _, b := range blobs {
		dataLen = max(dataLen, int64(b.Offset)+int64(b.Length))
	}
	data, err := readAllSized(rc, ExpectedPackSize(len(blobs), dataLen))
	rc.Close()
	if err != nil {
		return int64(len(data)), fmt.Errorf("read pack %s: %w", packID.Short(), err)
	}
	if err := ctx.Err(); err != nil {
		return int64(len(data)), err
	}
	var plain []byte
	for _, b := range blobs {
		end := int64(b.Offset) + int64(b.Length)
		if end > int64(len(data)) {
			fn(b, fmt.Errorf("%s blob %s: beyond the end of pack %s (%d bytes): %w", b.Type, b.ID.Short(), packID.Short(), len(data), ErrIntegrity))
			continue
		}
		b.Pack = packID
		plain, err = r.openBlob(b, data[b.Offset:end], plain[:0])
		fn(b, err)
	}
	if err := r.matchPackName(packID, data); err != nil {
		return int64(len(data)), fmt.Errorf("pack %s: %w", packID.Short(), err)
	}
	return int64(len(data)), nil
}

// matchPackName checks that data, a whole pack, carries the name id: the
// BLAKE3 of its sealed header and trailer, whose header must then decrypt
// and tile the data region (so every byte before it belongs to a blob
// authenticated on its own), or, for packs written before 2026-11-23, the
// BLAKE3 of all of data. See docs/repository-format.md §7.
func (r *Repository) matchPackName(id ID, data []byte) error {
	if len(data) < pack.TrailerSize {
		return ErrPackMismatch
	}
	hlen, err := pack.ParseTrailer(data[len(data)-pack.TrailerSize:], int64(len(data)))
	if err == nil {
		dataLen := len(data) - pack.TrailerSize - hlen
		if ID(blake3.Sum256(data[dataLen:])) == id {
			hdr, err := r.opener.Open(nil, data[dataLen:len(data)-pack.TrailerSize], pack.HeaderAD)
			if err != nil {
				return fmt.Errorf("%w: its header does not decrypt", ErrPackMismatch)
			}
			if _, err := pack.DecodeHeader(hdr, int64(dataLen)); err != nil {
				return fmt.Errorf("%w: %w", ErrPackMismatch, err)
			}
			return nil
		}
	}
	if ID(blake3.Sum256(data)) != id {
		return ErrPackMismatch
	}
	return nil
}

// LoadBlobFrom reads, decrypts and verifies the blob stored at b (which
// need not be in the index: prune reads trees from packs it hid).
func (r *Repository) LoadBlobFrom(ctx context.Context, b PackedBlob, buf []byte) ([]byte, error) {
	raw, err := r.readPackRange(ctx, b.Pack, int64(b.Offset), int(b.Length), nil)
	if err != nil {
		return nil, fmt.Errorf("load %s blob %s: %w", b.Type, b.ID.Short(), err)
	}
	return r.openBlob(b, raw, buf[:0])
}

// readAllSized reads rd to the end into a buffer sized for the expected
// length, growing it only if the object is larger.
func readAllSized(rd io.Reader, expected int64) ([]byte, error) {
	buf := make([]byte, 0, expected+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
