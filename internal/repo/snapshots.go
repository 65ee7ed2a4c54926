package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/arcabackup/arca/internal/repo/blob"
	"golang.org/x/sync/errgroup"
)

// SaveSnapshot flushes pending blobs (so a snapshot never refers to data
// that is not durable), then stores sn and returns its ID: the keyed hash
// of its JSON encoding.
func (r *Repository) SaveSnapshot(ctx context.Context, sn *Snapshot) (ID, error) {
	if sn.Tree.IsZero() {
		return ID{}, errors.New("save snapshot: no root tree")
	}
	if !r.HasBlob(TreeBlob, sn.Tree) {
		return ID{}, fmt.Errorf("save snapshot: root tree %s is not in the repository", sn.Tree.Short())
	}
	if err := r.Flush(ctx); err != nil {
		return ID{}, fmt.Errorf("save snapshot: %w", err)
	}

	plain, err := json.Marshal(sn)
	if err != nil {
		return ID{}, fmt.Errorf("save snapshot: %w", err)
	}
	return r.saveHashedObject(ctx, snapshotPrefix, plain)
}

// LoadSnapshot loads and verifies one snapshot; ErrSnapshotNotFound if absent.
func (r *Repository) LoadSnapshot(ctx context.Context, id ID) (*Snapshot, error) {
	plain, err := r.loadHashedObject(ctx, snapshotPrefix, id)
	if errors.Is(err, blob.ErrNotExist) {
		return nil, fmt.Errorf("snapshot %s: %w", id.Short(), ErrSnapshotNotFound)
	}
	if err != nil {
		return nil, err
	}
	var sn Snapshot
	if err := json.Unmarshal(plain, &sn); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w: %w", id.Short(), err, ErrIntegrity)
	}
	return &sn, nil
}

// ListSnapshots calls fn for every snapshot, in no particular order, one
// call at a time. Snapshots are loaded in parallel.
func (r *Repository) ListSnapshots(ctx context.Context, fn func(ID, *Snapshot) error) error {
	ids, err := r.listIDs(ctx, snapshotPrefix)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(r.store.Connections(), 1))
	var mu sync.Mutex
	for _, id := range ids {
		g.Go(func() error {
			sn, err := r.LoadSnapshot(gctx, id)
			if errors.Is(err, ErrSnapshotNotFound) {
				return nil // forgotten meanwhile
			}
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			return fn(id, sn)
		})
	}
	return g.Wait()
}

// FindSnapshot resolves a full id, a unique id prefix, or "latest" (the
// snapshot with the newest Time).
func (r *Repository) FindSnapshot(ctx context.Context, s string) (ID, error) {
	if s == "latest" {
		var best ID
		var bestSn *Snapshot
		err := r.ListSnapshots(ctx, func(id ID, sn *Snapshot) error {
			if bestSn == nil || sn.Time.After(bestSn.Time) || sn.Time.Equal(bestSn.Time) && id.String() > best.String() {
				best, bestSn = id, sn
			}
			return nil
		})
		if err != nil {
			return ID{}, err
		}
		if bestSn == nil {
			return ID{}, fmt.Errorf("latest: %w", ErrSnapshotNotFound)
		}
		return best, nil
	}
	s = strings.ToLower(s)
	if s == "" || strings.Trim(s, "0123456789abcdef") != "" {
		return ID{}, arcaInvalid(fmt.Sprintf("%q is not a snapshot id, id prefix or \"latest\".", s))
	}
	ids, err := r.listIDs(ctx, snapshotPrefix)
	if err != nil {
		return ID{}, err
	}
	var found []ID
	for _, id := range ids {
		if strings.HasPrefix(id.String(), s) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return ID{}, fmt.Errorf("%s: %w", s, ErrSnapshotNotFound)
	case 1:
		return found[0], nil
	}
	return ID{}, fmt.Errorf("%s: %w", s, ErrAmbiguousSnapshot)
}

// DeleteSnapshot removes a snapshot object (forget). Its data stays until
// prune collects it.
func (r *Repository) DeleteSnapshot(ctx context.Context, id ID) error {
	name := snapshotPrefix + id.String()
	if _, err := r.store.Stat(ctx, name); errors.Is(err, blob.ErrNotExist) {
		return fmt.Errorf("snapshot %s: %w", id.Short(), ErrSnapshotNotFound)
	}
	if err := r.store.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete snapshot %s: %w", id.Short(), err)
	}
	return nil
}
