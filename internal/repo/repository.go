package repo

import (
	"context"
	"errors"
	"io"

	"github.com/arcabackup/arca/internal/repo/blob"
)

var errNotImplemented = errors.New("not implemented yet")

// Repository is an open repository. It is safe for concurrent use.
type Repository struct {
	store blob.Store
	cfg   Config
}

// Init creates a repository in an empty store and returns it opened. A
// store that already holds objects is refused with ErrRepositoryExists.
func Init(ctx context.Context, store blob.Store, password string, opts InitOptions) (*Repository, error) {
	return nil, errNotImplemented
}

// Open opens the repository in store with password. A wrong password
// returns an error matching ErrWrongPassword; a store without a
// repository, ErrNotARepository.
func Open(ctx context.Context, store blob.Store, password string, opts OpenOptions) (*Repository, error) {
	return nil, errNotImplemented
}

// Store returns the underlying storage.
func (r *Repository) Store() blob.Store { return r.store }

// Config returns the repository's config.
func (r *Repository) Config() Config { return r.cfg }

// Close releases the repository's resources (index cache files). It does
// not flush: call Flush first to make pending blobs durable.
func (r *Repository) Close() error { return nil }

// SaveBlob stores plaintext as a blob of type t and returns its ID. If the
// blob is already in the repository (or being saved by another goroutine of
// this Repository) nothing is written and added is false. The blob is
// durable only after the next successful Flush. Safe for concurrent use;
// plaintext may be reused by the caller once SaveBlob returns.
func (r *Repository) SaveBlob(ctx context.Context, t BlobType, plaintext []byte) (id ID, added bool, err error) {
	return ID{}, false, errNotImplemented
}

// LoadBlob reads, decrypts, decompresses and verifies the blob, appending
// its plaintext to buf[:0] (buf may be nil) and returning it. Damaged or
// tampered data is an error matching ErrIntegrity, never wrong bytes. A
// blob unknown to the index is ErrBlobNotFound. Blobs saved through this
// Repository become loadable once their pack is uploaded (at the latest
// after Flush).
func (r *Repository) LoadBlob(ctx context.Context, t BlobType, id ID, buf []byte) ([]byte, error) {
	return nil, errNotImplemented
}

// HasBlob reports whether the repository holds (or this Repository is
// saving) the blob.
func (r *Repository) HasBlob(t BlobType, id ID) bool { return false }

// LookupBlob returns where a blob is stored, if it is in the index.
func (r *Repository) LookupBlob(t BlobType, id ID) (PackedBlob, bool) {
	return PackedBlob{}, false
}

// EachBlob calls fn for every blob in the index, in ID order, until fn
// returns an error.
func (r *Repository) EachBlob(fn func(PackedBlob) error) error { return errNotImplemented }

// Flush seals and uploads all partly filled packs and writes an index
// object for every blob saved since the last Flush. When it returns nil,
// everything saved before the call is durable. Safe to call concurrently
// with SaveBlob (blobs saved meanwhile may land in this flush or the next).
func (r *Repository) Flush(ctx context.Context) error { return errNotImplemented }

// Stats returns running totals of what this Repository wrote.
func (r *Repository) Stats() SaveStats { return SaveStats{} }

// NewChunker returns a Chunker with the repository's keyed parameters,
// reading from rd.
func (r *Repository) NewChunker(rd io.Reader) Chunker { return nil }

// SaveSnapshot stores sn and returns its ID. Call Flush first: SaveSnapshot
// refuses while blobs are pending so that a snapshot never refers to data
// that is not durable.
func (r *Repository) SaveSnapshot(ctx context.Context, sn *Snapshot) (ID, error) {
	return ID{}, errNotImplemented
}

// LoadSnapshot loads and verifies one snapshot; ErrSnapshotNotFound if absent.
func (r *Repository) LoadSnapshot(ctx context.Context, id ID) (*Snapshot, error) {
	return nil, errNotImplemented
}

// ListSnapshots calls fn for every snapshot, in no particular order.
func (r *Repository) ListSnapshots(ctx context.Context, fn func(ID, *Snapshot) error) error {
	return errNotImplemented
}

// FindSnapshot resolves a full id, a unique id prefix, or "latest" (the
// snapshot with the newest Time).
func (r *Repository) FindSnapshot(ctx context.Context, s string) (ID, error) {
	return ID{}, errNotImplemented
}

// DeleteSnapshot removes a snapshot object (forget). Its data stays until
// prune collects it.
func (r *Repository) DeleteSnapshot(ctx context.Context, id ID) error { return errNotImplemented }

// AddKey writes a new key file that opens the repository with password and
// returns its id.
func (r *Repository) AddKey(ctx context.Context, password string, opts KeyOptions) (string, error) {
	return "", errNotImplemented
}

// RemoveKey deletes a key file. Removing the last key is refused (ErrLastKey).
func (r *Repository) RemoveKey(ctx context.Context, keyID string) error { return errNotImplemented }

// ListKeys describes the repository's key files.
func (r *Repository) ListKeys(ctx context.Context) ([]KeyInfo, error) { return nil, errNotImplemented }

// ChangePassword adds a key file for newPassword and removes the key this
// Repository was opened with; it returns the new key's id.
func (r *Repository) ChangePassword(ctx context.Context, newPassword string, opts KeyOptions) (string, error) {
	return "", errNotImplemented
}
