package pruner

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/arcabackup/arca/internal/repo"
)

// plan is phase 1's classification of the packs.
type plan struct {
	dead    []repo.ID         // indexed, nothing used
	orphans []repo.ID         // in the store, in no index
	repack  []repo.ID         // partly used
	copies  []repo.PackedBlob // the used blobs of repack, to copy
	reclaim int64             // bytes of all marked packs
}

func (pl *plan) packs() []repo.ID {
	out := append(append(append([]repo.ID(nil), pl.dead...), pl.orphans...), pl.repack...)
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// mark is phase 1 (docs/garbage-collection.md): classify the packs, copy
// the used blobs of the partly used ones into new packs, hide the unused
// and the repacked ones from the index, and record them in a new deletion
// marker, stamped after the index no longer shows them.
func (p *pruner) mark(ctx context.Context, r *repo.Repository) error {
	cutoff, err := p.cutoff(ctx)
	if err != nil {
		return err
	}
	pl := p.classify(cutoff, r.TargetPackSize()/4)
	p.rep.PacksMarked = len(pl.dead) + len(pl.orphans)
	p.rep.PacksUnindexed = len(pl.orphans)
	for _, id := range append(append([]repo.ID(nil), pl.dead...), pl.orphans...) {
		p.rep.BytesMarked += p.sizes[id].Size
	}
	p.rep.PacksRepacked = len(pl.repack)
	p.rep.BlobsRepacked = len(pl.copies)
	for _, b := range pl.copies {
		p.rep.BytesRepacked += int64(b.Length)
	}
	p.rep.BytesReclaim = pl.reclaim
	packs := pl.packs()
	if p.opts.DryRun || len(packs) == 0 {
		return nil
	}
	if len(pl.copies) > 0 {
		var done, bytes int64
		err := r.RepackBlobs(ctx, pl.copies, func(n int64) {
			done++
			bytes += n
			p.progress(Progress{Phase: "repack", Done: done, Total: int64(len(pl.copies)), Bytes: bytes})
		})
		if err != nil {
			return fmt.Errorf("repack: %w", err)
		}
	}
	hide := map[repo.ID]bool{}
	for _, id := range append(append([]repo.ID(nil), pl.dead...), pl.repack...) {
		hide[id] = true
	}
	replaced, stale, err := r.RewriteIndexWithout(ctx, hide)
	if err != nil {
		return fmt.Errorf("hide marked packs from the index: %w", err)
	}
	p.rep.IndexesReplaced = len(replaced)
	old := append(replaced, p.unclaimed(stale)...)
	id, err := r.SaveDeletionMarker(ctx, repo.DeletionMarker{Time: p.opts.Now().UTC(), Packs: packs, Index: old})
	if err != nil {
		return fmt.Errorf("write deletion marker: %w", err)
	}
	p.rep.Marker = &id
	p.progress(Progress{Phase: "mark", Done: int64(len(packs)), Total: int64(len(packs))})
	return p.recheck(ctx, r, len(pl.dead)+len(pl.repack))
}

// recheck closes a race of the mark: a backup that deduplicated against a
// pack before it was hidden may have written its snapshot since the
// snapshots were listed. Snapshots listed now that were not listed before
// are walked; a hidden pack one of them uses is indexed again (the sweep
// will then keep it). A snapshot written after this listing is the
// writer's to reconcile (Reconcile), since the marker exists by then.
func (p *pruner) recheck(ctx context.Context, r *repo.Repository, hidden int) error {
	if hidden == 0 || p.opts.DryRun {
		return nil
	}
	known := map[repo.ID]bool{}
	for _, id := range p.snaps {
		known[id] = true
	}
	var roots []repo.ID
	err := r.ListSnapshots(ctx, func(id repo.ID, sn *repo.Snapshot) error {
		if !known[id] {
			roots = append(roots, sn.Tree)
		}
		return nil
	})
	if err != nil || len(roots) == 0 {
		return err
	}
	n, err := reindexUsed(ctx, r, roots)
	if err != nil {
		return fmt.Errorf("index again packs a new snapshot uses: %w", err)
	}
	p.rep.PacksReindexed += n
	return nil
}

// cutoff is the newest modification time a pack may have to be marked: a
// younger one may belong to a backup still running.
func (p *pruner) cutoff(ctx context.Context) (time.Time, error) {
	cutoff := p.opts.Now().Add(-p.opts.Delay)
	if p.opts.OldestWriter != nil {
		start, ok, err := p.opts.OldestWriter(ctx)
		if err != nil {
			return time.Time{}, fmt.Errorf("ask for running backups: %w", err)
		}
		if ok && start.Before(cutoff) {
			cutoff = start
		}
	}
	return cutoff, nil
}

// classify sorts the packs old enough to be marked into dead, orphaned and
// partly used ones. A live blob with several usable copies counts in one
// of them (the first by pack id); the other copies are garbage.
func (p *pruner) classify(cutoff time.Time, small int) *plan {
	pl := &plan{}
	var smallPacks []repo.ID
	var smallCopies []repo.PackedBlob
	markable := func(id repo.ID) bool {
		info, ok := p.sizes[id]
		return ok && !p.pending[id] && !p.swept[id] && !p.resurrected[id] && info.ModTime.Before(cutoff)
	}
	for id, blobs := range p.byPack {
		if !markable(id) {
			continue
		}
		// The share is of the blobs' bytes: a pack's header is not waste.
		var used, total int64
		var live []repo.PackedBlob
		homed := map[blobKey]bool{}
		for _, b := range blobs {
			total += int64(b.Length)
			k := blobKey{b.Type, b.ID}
			if _, ok := p.live[k]; ok && p.home(k) == id && !homed[k] {
				homed[k] = true // a pack may hold a blob twice: copy it once
				used += int64(b.Length)
				live = append(live, b)
			}
		}
		size := p.sizes[id].Size
		switch {
		case used == 0:
			pl.dead = append(pl.dead, id)
		case p.opts.RepackBelow > 0 && float64(used) < p.opts.RepackBelow*float64(total):
			pl.repack = append(pl.repack, id)
			pl.copies = append(pl.copies, live...)
		case !p.opts.NoRepackSmall && size < int64(small):
			smallPacks = append(smallPacks, id)
			smallCopies = append(smallCopies, live...)
			continue
		default:
			continue
		}
		pl.reclaim += size
	}
	// Small packs are worth combining only when there are several (or
	// when other packs are repacked anyway, which they join).
	if len(smallPacks) >= 2 || len(smallPacks) == 1 && len(pl.repack) > 0 {
		for _, id := range smallPacks {
			pl.repack = append(pl.repack, id)
			pl.reclaim += p.sizes[id].Size
		}
		pl.copies = append(pl.copies, smallCopies...)
	}
	for id := range p.sizes {
		if _, indexed := p.byPack[id]; !indexed && markable(id) {
			pl.orphans = append(pl.orphans, id)
			pl.reclaim += p.sizes[id].Size
		}
	}
	return pl
}

// home is the pack whose copy of a live blob is kept: the first usable
// copy by pack id.
func (p *pruner) home(k blobKey) repo.ID {
	for _, q := range p.copies[k] {
		if _, present := p.sizes[q]; present && !p.swept[q] {
			return q
		}
	}
	return repo.ID{}
}

// unclaimed returns the stale index objects no marker will delete (left by
// a prune killed before its marker, or by other tools).
func (p *pruner) unclaimed(stale []repo.ID) []repo.ID {
	var out []repo.ID
	for _, id := range stale {
		if !p.claimedIndex[id] {
			out = append(out, id)
		}
	}
	return out
}
