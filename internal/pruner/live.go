package pruner

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"
	"sync"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// listSnapshots lists the snapshots and their root trees. It runs before
// the index is loaded: a snapshot is written after the index objects of
// its blobs, so every snapshot listed has its blobs in the view loaded
// next (or in packs prune hid).
func (p *pruner) listSnapshots(ctx context.Context, r *repo.Repository) error {
	p.live = map[blobKey]struct{}{}
	p.roots = nil
	err := r.ListSnapshots(ctx, func(id repo.ID, sn *repo.Snapshot) error {
		p.rep.Snapshots++
		p.snaps = append(p.snaps, id)
		k := blobKey{repo.TreeBlob, sn.Tree}
		if _, ok := p.live[k]; !ok {
			p.live[k] = struct{}{}
			p.roots = append(p.roots, sn.Tree)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list snapshots: %w: %w", err, ErrDamaged)
	}
	return nil
}

// computeLive walks the trees of the listed snapshots: every tree and data
// blob they reach is live. A tree that does not load stops prune with
// ErrDamaged.
func (p *pruner) computeLive(ctx context.Context, r *repo.Repository) error {
	frontier := p.roots
	conns := max(r.Store().Connections(), 1)
	var done int64
	for len(frontier) > 0 {
		var mu sync.Mutex
		var next []repo.ID
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(conns)
		for _, id := range frontier {
			g.Go(func() error {
				buf, err := p.loadTree(gctx, r, id)
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

// loadTree loads a tree from the index or, failing that, from a pack that
// is in no index: a backup that opened before a mark may reuse a tree of
// a pack prune hid.
func (p *pruner) loadTree(ctx context.Context, r *repo.Repository, id repo.ID) ([]byte, error) {
	buf, err := r.LoadBlob(ctx, repo.TreeBlob, id, nil)
	if !errors.Is(err, repo.ErrBlobNotFound) {
		return buf, err
	}
	hidden, herr := p.hiddenBlobs(ctx, r)
	if herr != nil {
		return nil, herr
	}
	b, ok := hidden[blobKey{repo.TreeBlob, id}]
	if !ok {
		return nil, err
	}
	return r.LoadBlobFrom(ctx, b, nil)
}

// hiddenBlobs reads, once, the headers of the packs in no index.
func (p *pruner) hiddenBlobs(ctx context.Context, r *repo.Repository) (map[blobKey]repo.PackedBlob, error) {
	p.hiddenMu.Lock()
	defer p.hiddenMu.Unlock()
	if p.hidden != nil {
		return p.hidden, nil
	}
	hidden := map[blobKey]repo.PackedBlob{}
	for id := range p.sizes {
		if p.indexed(id) {
			continue
		}
		blobs, err := r.LoadPackHeader(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue // damaged or gone: it cannot help
		}
		for _, b := range blobs {
			hidden[blobKey{b.Type, b.ID}] = b
		}
	}
	p.hidden = hidden
	return hidden, nil
}
