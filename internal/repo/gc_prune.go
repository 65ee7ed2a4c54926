package repo

import (
	"context"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// Primitives for prune (internal/pruner) beside the protocol objects of
// gc.go.

// ReopenFresh returns a new Repository with the same keys and options whose
// index is loaded anew from the store: the view of a backup that opens the
// repository now.
func (r *Repository) ReopenFresh(ctx context.Context) (*Repository, error) {
	n, err := newRepository(r.store, r.cfg, r.mk, r.keyID, r.opts)
	if err != nil {
		return nil, err
	}
	if err := n.loadIndex(ctx); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// ListPackInfos calls fn for every pack file in the store with its size
// and modification time (the store's clock).
func (r *Repository) ListPackInfos(ctx context.Context, fn func(ID, blob.Info) error) error {
	return r.store.List(ctx, dataPrefix, func(i blob.Info) error {
		id, err := parseNamedID(i.Name)
		if err != nil {
			return nil
		}
		return fn(id, i)
	})
}

// ListSnapshotIDs returns the ids of the snapshot objects in the store,
// without loading them: check loads each on its own to report every
// damaged one.
func (r *Repository) ListSnapshotIDs(ctx context.Context) ([]ID, error) {
	return r.listIDs(ctx, snapshotPrefix)
}

// TargetPackSize is the pack size this Repository fills packs to.
func (r *Repository) TargetPackSize() int { return r.opts.PackSize }
