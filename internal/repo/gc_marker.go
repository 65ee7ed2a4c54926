package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// gcPrefix holds deletion markers (docs/garbage-collection.md).
const gcPrefix = "gc/"

// DeletionMarker records packs that prune made invisible at Time and will
// delete once the safety delay has passed and they are still unused.
type DeletionMarker struct {
	Version int       `json:"version"`
	Time    time.Time `json:"time"`
	Packs   []ID      `json:"packs"`
	// Index are superseded index objects to delete with the packs.
	Index []ID `json:"index,omitempty"`
	// Stored is the store's modification time of the marker object, set
	// by ListDeletionMarkers (not part of the object).
	Stored time.Time `json:"-"`
}

// SaveDeletionMarker stores m as "gc/<id>" (sealed, named by the keyed
// hash of its content) and returns its id.
func (r *Repository) SaveDeletionMarker(ctx context.Context, m DeletionMarker) (ID, error) {
	m.Version = 1
	plain, err := json.Marshal(m)
	if err != nil {
		return ID{}, err
	}
	return r.saveHashedObject(ctx, gcPrefix, plain)
}

// ListDeletionMarkers calls fn for every deletion marker. A marker that
// vanishes while listed (a concurrent sweep) is skipped.
func (r *Repository) ListDeletionMarkers(ctx context.Context, fn func(ID, DeletionMarker) error) error {
	stored := map[ID]time.Time{}
	var ids []ID
	err := r.store.List(ctx, gcPrefix, func(i blob.Info) error {
		if id, err := parseNamedID(i.Name); err == nil {
			ids = append(ids, id)
			stored[id] = i.ModTime
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", gcPrefix, err)
	}
	for _, id := range ids {
		plain, err := r.loadHashedObject(ctx, gcPrefix, id)
		if errors.Is(err, blob.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		var m DeletionMarker
		if err := json.Unmarshal(plain, &m); err != nil {
			return fmt.Errorf("deletion marker %s: %w: %w", id.Short(), err, ErrIntegrity)
		}
		if m.Version != 1 {
			return fmt.Errorf("deletion marker %s has version %d: %w", id.Short(), m.Version, ErrUnsupportedVersion)
		}
		m.Stored = stored[id]
		if err := fn(id, m); err != nil {
			return err
		}
	}
	return nil
}

// DeleteDeletionMarker removes a marker.
func (r *Repository) DeleteDeletionMarker(ctx context.Context, id ID) error {
	if err := r.store.Delete(ctx, gcPrefix+id.String()); err != nil {
		return fmt.Errorf("delete deletion marker %s: %w", id.Short(), err)
	}
	return nil
}

// DeletePack removes a pack file. Only the sweep of prune calls it.
func (r *Repository) DeletePack(ctx context.Context, id ID) error {
	if err := r.store.Delete(ctx, packName(id)); err != nil {
		return fmt.Errorf("delete pack %s: %w", id.Short(), err)
	}
	return nil
}
