// Package archivertest provides MemRepo, an in-memory stand-in for the
// repository at the seam of the archiver and the restorer, for tests that
// need to count loads, damage a blob or fail a save. End-to-end tests use
// the real repository instead.
package archivertest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/arcabackup/arca/internal/repo"
)

type blobKey struct {
	t  repo.BlobType
	id repo.ID
}

// MemRepo keeps blobs and snapshots in maps. Blob ids are SHA-256 of the
// type and the plaintext. Safe for concurrent use.
type MemRepo struct {
	// ChunkSize is the fixed size of the chunks NewChunker cuts (default 64 KiB).
	ChunkSize int
	// FailSave, when set, is returned by SaveBlob for data blobs.
	FailSave error

	mu        sync.Mutex
	blobs     map[blobKey][]byte
	damaged   map[blobKey]bool
	snapshots map[repo.ID]*repo.Snapshot
	stats     repo.SaveStats

	// Loads counts LoadBlob calls; Flushes counts Flush calls.
	Loads   atomic.Int64
	Flushes atomic.Int64
}

// NewMemRepo returns an empty MemRepo.
func NewMemRepo() *MemRepo {
	return &MemRepo{
		ChunkSize: 64 << 10,
		blobs:     map[blobKey][]byte{},
		damaged:   map[blobKey]bool{},
		snapshots: map[repo.ID]*repo.Snapshot{},
	}
}

// SaveBlob stores a copy of plaintext.
func (m *MemRepo) SaveBlob(ctx context.Context, t repo.BlobType, plaintext []byte) (repo.ID, bool, error) {
	if err := ctx.Err(); err != nil {
		return repo.ID{}, false, err
	}
	if m.FailSave != nil && t == repo.DataBlob {
		return repo.ID{}, false, m.FailSave
	}
	h := sha256.New()
	h.Write([]byte{byte(t)})
	h.Write(plaintext)
	var id repo.ID
	h.Sum(id[:0])
	m.mu.Lock()
	defer m.mu.Unlock()
	k := blobKey{t, id}
	if _, ok := m.blobs[k]; ok {
		return id, false, nil
	}
	m.blobs[k] = append([]byte(nil), plaintext...)
	if t == repo.DataBlob {
		m.stats.DataBlobs++
	} else {
		m.stats.TreeBlobs++
	}
	m.stats.BytesAdded += uint64(len(plaintext))
	m.stats.BytesStored += uint64(len(plaintext))
	return id, true, nil
}

// LoadBlob appends the blob to buf[:0]; a damaged blob is repo.ErrIntegrity.
func (m *MemRepo) LoadBlob(ctx context.Context, t repo.BlobType, id repo.ID, buf []byte) ([]byte, error) {
	m.Loads.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := blobKey{t, id}
	data, ok := m.blobs[k]
	switch {
	case !ok:
		return nil, fmt.Errorf("load %v blob %v: %w", t, id.Short(), repo.ErrBlobNotFound)
	case m.damaged[k]:
		return nil, fmt.Errorf("load %v blob %v: %w", t, id.Short(), repo.ErrIntegrity)
	}
	return append(buf[:0], data...), nil
}

// HasBlob reports whether the blob is stored.
func (m *MemRepo) HasBlob(t repo.BlobType, id repo.ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.blobs[blobKey{t, id}]
	return ok
}

// LookupBlob reports a stored blob's plaintext length.
func (m *MemRepo) LookupBlob(t repo.BlobType, id repo.ID) (repo.PackedBlob, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.blobs[blobKey{t, id}]
	return repo.PackedBlob{Type: t, ID: id, RawLength: uint32(len(data))}, ok
}

// Damage makes every later load of the blob fail with repo.ErrIntegrity.
func (m *MemRepo) Damage(t repo.BlobType, id repo.ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.damaged[blobKey{t, id}] = true
}

// Flush counts the call.
func (m *MemRepo) Flush(ctx context.Context) error {
	m.Flushes.Add(1)
	return ctx.Err()
}

// Stats returns the running totals.
func (m *MemRepo) Stats() repo.SaveStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// SaveSnapshot stores sn under the SHA-256 of its JSON.
func (m *MemRepo) SaveSnapshot(ctx context.Context, sn *repo.Snapshot) (repo.ID, error) {
	if err := ctx.Err(); err != nil {
		return repo.ID{}, err
	}
	data, err := json.Marshal(sn)
	if err != nil {
		return repo.ID{}, err
	}
	id := repo.ID(sha256.Sum256(data))
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := *sn
	m.snapshots[id] = &cp
	return id, nil
}

// LoadSnapshot returns a saved snapshot or repo.ErrSnapshotNotFound.
func (m *MemRepo) LoadSnapshot(ctx context.Context, id repo.ID) (*repo.Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sn, ok := m.snapshots[id]
	if !ok {
		return nil, repo.ErrSnapshotNotFound
	}
	cp := *sn
	return &cp, nil
}

// Snapshots returns how many snapshots are saved.
func (m *MemRepo) Snapshots() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.snapshots)
}

// Config reports chunker sizes that match the fixed-size chunker: a file
// of at most ChunkSize bytes is one chunk.
func (m *MemRepo) Config() repo.Config {
	return repo.Config{Version: 1, Chunker: repo.ChunkerParams{Min: m.ChunkSize, Avg: m.ChunkSize, Max: m.ChunkSize}}
}

// NewChunker returns a chunker cutting fixed-size chunks.
func (m *MemRepo) NewChunker(rd io.Reader) repo.Chunker {
	return &fixedChunker{rd: rd, buf: make([]byte, m.ChunkSize)}
}

type fixedChunker struct {
	rd  io.Reader
	buf []byte
}

func (c *fixedChunker) Reset(rd io.Reader) { c.rd = rd }

func (c *fixedChunker) Next() ([]byte, error) {
	n, err := io.ReadFull(c.rd, c.buf)
	switch {
	case n > 0 && (err == nil || errors.Is(err, io.ErrUnexpectedEOF)):
		return c.buf[:n], nil
	case err == nil || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, io.EOF
	}
	return nil, err
}
