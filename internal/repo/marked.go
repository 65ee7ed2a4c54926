package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// markedPacks is what LoadBlob falls back to when a blob is not in the
// index: the blobs of the packs that deletion markers name. Prune hides
// those packs from the index (phase 1) but deletes them only after a
// safety delay, and a backup that opened before the hide may have written
// a snapshot that uses them: its reader then finds the blob here instead
// of failing (docs/garbage-collection.md, "Guarantees"). Markers and pack
// headers are read once each; a miss costs one listing of gc/.
type markedPacks struct {
	mu      sync.Mutex
	markers map[ID]bool // markers read (or unreadable)
	packs   map[ID]bool // marked packs whose header was read (or is gone)
	blobs   map[blobKey]PackedBlob
}

// findMarked looks for a blob in the packs of the deletion markers in the
// store.
func (r *Repository) findMarked(ctx context.Context, t BlobType, id ID) (PackedBlob, bool, error) {
	m := &r.marked
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blobs == nil {
		m.markers, m.packs, m.blobs = map[ID]bool{}, map[ID]bool{}, map[blobKey]PackedBlob{}
	}
	key := blobKey{t, id}
	if b, ok := m.blobs[key]; ok {
		return b, true, nil
	}
	packs, err := r.newMarkedPacks(ctx, m)
	if err != nil {
		return PackedBlob{}, false, err
	}
	for _, p := range packs {
		if m.packs[p] {
			continue
		}
		blobs, err := r.LoadPackHeader(ctx, p)
		if err != nil && !errors.Is(err, blob.ErrNotExist) && !errors.Is(err, ErrIntegrity) {
			return PackedBlob{}, false, err
		}
		m.packs[p] = true // swept meanwhile, or damaged: nothing to find there
		for _, b := range blobs {
			m.blobs[blobKey{b.Type, b.ID}] = b
		}
	}
	b, ok := m.blobs[key]
	return b, ok, nil
}

// newMarkedPacks lists gc/ and returns the packs of the markers not read
// before.
func (r *Repository) newMarkedPacks(ctx context.Context, m *markedPacks) ([]ID, error) {
	var ids []ID
	err := r.store.List(ctx, gcPrefix, func(i blob.Info) error {
		if id, err := parseNamedID(i.Name); err == nil && !m.markers[id] {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", gcPrefix, err)
	}
	var packs []ID
	for _, id := range ids {
		plain, err := r.loadHashedObject(ctx, gcPrefix, id)
		if errors.Is(err, blob.ErrNotExist) {
			continue // swept meanwhile
		}
		if err != nil {
			return nil, err
		}
		var dm DeletionMarker
		if err := json.Unmarshal(plain, &dm); err == nil {
			packs = append(packs, dm.Packs...)
		}
		m.markers[id] = true
	}
	return packs, nil
}
