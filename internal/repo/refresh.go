package repo

import "context"

// Refresh loads the index objects other writers (other processes, or other
// Repository values on the same store) saved since this one was opened, so
// that a long-lived Repository sees their blobs. It returns how many
// objects it loaded, and stale = true when index objects this Repository
// loaded are gone from the store (a prune or compaction replaced them):
// then the in-memory index may name packs that no longer exist, and the
// caller should open the repository again instead of using this one for
// reading.
func (r *Repository) Refresh(ctx context.Context) (loaded int, stale bool, err error) {
	ids, err := r.listIDs(ctx, indexPrefix)
	if err != nil {
		return 0, false, err
	}
	listed := make(map[ID]bool, len(ids))
	var fresh []ID
	r.mu.Lock()
	for _, id := range ids {
		listed[id] = true
		if _, ok := r.indexObjs[id]; !ok {
			fresh = append(fresh, id)
		}
	}
	for id := range r.indexObjs {
		if !listed[id] {
			stale = true
		}
	}
	r.mu.Unlock()
	if len(fresh) == 0 {
		return 0, stale, nil
	}
	superseded, err := r.addIndexObjects(ctx, fresh, nil)
	if err != nil {
		return 0, stale, err
	}
	return len(fresh), stale || len(superseded) > 0, nil
}

// Err returns the sticky error of a failed pack upload or index write, or
// nil. A Repository with an error saves nothing more: open it again.
func (r *Repository) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}
