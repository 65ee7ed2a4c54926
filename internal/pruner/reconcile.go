package pruner

import (
	"context"
	"fmt"

	"github.com/arcabackup/arca/internal/repo"
)

// Reconcile closes the one window of the protocol: a backup that opened
// the repository before a prune hid a pack, and reused blobs of it, writes
// a snapshot whose blobs the index does not show until the next prune
// indexes the pack again. Called after SaveSnapshot, Reconcile does that at
// once for the snapshot: it returns at the cost of one listing when no
// deletion marker exists (the common case); otherwise it walks the
// snapshot's trees against a fresh index and indexes again every hidden
// pack that holds a blob the snapshot uses. It returns how many packs it
// indexed again. Safe to run beside prune and other backups.
func Reconcile(ctx context.Context, r *repo.Repository, snapshot repo.ID) (int, error) {
	markers := 0
	if err := r.ListDeletionMarkers(ctx, func(repo.ID, repo.DeletionMarker) error {
		markers++
		return nil
	}); err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	if markers == 0 {
		return 0, nil
	}
	sn, err := r.LoadSnapshot(ctx, snapshot)
	if err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	n, err := reindexUsed(ctx, r, []repo.ID{sn.Tree})
	if err != nil {
		return 0, fmt.Errorf("reconcile snapshot %s: %w", snapshot.Short(), err)
	}
	return n, nil
}

// reindexUsed walks the trees under roots against a fresh index (reading
// trees from packs in no index where needed) and indexes again every pack
// in no index that holds a blob they use. It returns how many.
func reindexUsed(ctx context.Context, r *repo.Repository, roots []repo.ID) (int, error) {
	fresh, err := r.ReopenFresh(ctx)
	if err != nil {
		return 0, err
	}
	defer fresh.Close()
	p := &pruner{rep: &Report{}, live: map[blobKey]struct{}{}, roots: roots}
	for _, root := range roots {
		p.live[blobKey{repo.TreeBlob, root}] = struct{}{}
	}
	if err := p.load(ctx, fresh); err != nil {
		return 0, err
	}
	if len(p.unindexed) == 0 {
		return 0, nil
	}
	hidden, err := p.hiddenBlobs(ctx, fresh)
	if err != nil {
		return 0, err
	}
	packs := map[repo.ID]bool{}
	for k := range p.unindexed {
		b, ok := hidden[k]
		if !ok {
			return 0, fmt.Errorf("%s blob %s is in no index and no pack: %w", k.t, k.id.Short(), ErrDamaged)
		}
		packs[b.Pack] = true
	}
	list := make([]repo.ID, 0, len(packs))
	for id := range packs {
		list = append(list, id)
	}
	if err := fresh.IndexPacks(ctx, list); err != nil {
		return 0, err
	}
	return len(list), nil
}
