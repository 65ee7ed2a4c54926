package pruner

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	"sync"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// computeLive lists the snapshots and walks their trees: every tree and
// data blob they reach is live. Any tree that does not load stops prune
// with ErrDamaged.
func (p *pruner) computeLive(ctx context.Context, r *repo.Repository) error {
	p.live = map[blobKey]struct{}{}
	var frontier []repo.ID
	err := r.ListSnapshots(ctx, func(id repo.ID, sn *repo.Snapshot) error {
		p.rep.Snapshots++
		p.snaps = append(p.snaps, id)
		k := blobKey{repo.TreeBlob, sn.Tree}
		if _, ok := p.live[k]; !ok {
			p.live[k] = struct{}{}
			frontier = append(frontier, sn.Tree)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list snapshots: %w: %w", err, ErrDamaged)
	}
	conns := max(r.Store().Connections(), 1)
	var done int64
	for len(frontier) > 0 {
		var mu sync.Mutex
		var next []repo.ID
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(conns)
		for _, id := range frontier {
			g.Go(func() error {
				buf, err := r.LoadBlob(gctx, repo.TreeBlob, id, nil)
				if err != nil {
					if gctx.Err() != nil {
						return gctx.Err()
					}
					return fmt.Errorf("tree %s: %w: %w", id.Short(), err, ErrDamaged)
				}
				t, err := tree.Decode(buf)
				if err != nil {
					return fmt.Errorf("tree %s: %w: %w", id.Short(), err, ErrDamaged)
				}
				mu.Lock()
				defer mu.Unlock()
				for i := range t.Nodes {
					n := &t.Nodes[i]
					for _, d := range n.Content {
						p.live[blobKey{repo.DataBlob, d}] = struct{}{}
					}
					if n.Subtree != nil {
						k := blobKey{repo.TreeBlob, *n.Subtree}
						if _, ok := p.live[k]; !ok {
							p.live[k] = struct{}{}
							next = append(next, *n.Subtree)
						}
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		done += int64(len(frontier))
		p.progress(Progress{Phase: "snapshots", Done: done})
		frontier = next
	}
	// A live blob missing from the index is normally in a marked pack: a
	// backup that opened before the mark reused it. The sweep indexes such
	// packs again; what is left after it is damage.
	p.unindexed = map[blobKey]bool{}
	for k := range p.live {
		if _, ok := r.LookupBlob(k.t, k.id); !ok {
			p.unindexed[k] = true
		}
	}
	p.rep.LiveBlobs = len(p.live)
	return nil
}
