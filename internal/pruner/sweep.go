package pruner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
)

type marker struct {
	id repo.ID
	m  repo.DeletionMarker
}

// dueMarkers reads the deletion markers and returns those whose packs may
// be deleted now: at least the delay old and, when the caller tracks
// backups, older than every running backup. The others' packs are pending.
func (p *pruner) dueMarkers(ctx context.Context, r *repo.Repository) ([]marker, error) {
	var all []marker
	err := r.ListDeletionMarkers(ctx, func(id repo.ID, m repo.DeletionMarker) error {
		all = append(all, marker{id, m})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deletion markers: %w", err)
	}
	var running time.Time
	haveWriter := false
	if p.opts.OldestWriter != nil && len(all) > 0 {
		if running, haveWriter, err = p.opts.OldestWriter(ctx); err != nil {
			return nil, fmt.Errorf("ask for running backups: %w", err)
		}
	}
	now := p.opts.Now()
	p.pending = map[repo.ID]bool{}
	p.claimedIndex = map[repo.ID]bool{}
	var due []marker
	for _, mk := range all {
		// The later of prune's clock and the store's: a prune host whose
		// clock runs fast cannot shorten the delay.
		marked := mk.m.Time
		if mk.m.Stored.After(marked) {
			marked = mk.m.Stored
		}
		switch {
		case now.Before(marked.Add(p.opts.Delay)):
			p.rep.MarkersPending++
		case haveWriter && !running.After(marked):
			p.rep.MarkersBlocked++
		default:
			due = append(due, mk)
			continue
		}
		for _, id := range mk.m.Packs {
			p.pending[id] = true
		}
		for _, id := range mk.m.Index {
			p.claimedIndex[id] = true
		}
	}
	p.rep.MarkersDue = len(due)
	return due, nil
}

// load reads the fresh view: pack files, index entries and live blobs.
func (p *pruner) load(ctx context.Context, r *repo.Repository) error {
	p.sizes = map[repo.ID]blob.Info{}
	err := r.ListPackInfos(ctx, func(id repo.ID, i blob.Info) error {
		p.sizes[id] = i
		return nil
	})
	if err != nil {
		return fmt.Errorf("list packs: %w", err)
	}
	// Two index objects may name one pack (a backup and a re-index): keep
	// each stored blob once.
	p.byPack = map[repo.ID][]repo.PackedBlob{}
	seen := map[repo.PackedBlob]bool{}
	if err := r.EachBlob(func(b repo.PackedBlob) error {
		if !seen[b] {
			seen[b] = true
			p.byPack[b.Pack] = append(p.byPack[b.Pack], b)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read the index: %w", err)
	}
	p.swept = map[repo.ID]bool{}
	p.resurrected = map[repo.ID]bool{}
	if err := p.computeLive(ctx, r); err != nil {
		return err
	}
	p.copies = map[blobKey][]repo.ID{}
	for pack, blobs := range p.byPack {
		for _, b := range blobs {
			k := blobKey{b.Type, b.ID}
			if _, ok := p.live[k]; ok {
				p.copies[k] = append(p.copies[k], pack)
			}
		}
	}
	for _, packs := range p.copies {
		sort.Slice(packs, func(i, j int) bool { return packs[i].String() < packs[j].String() })
	}
	return nil
}

// packFate is the sweep's decision about one marked pack.
type packFate int

const (
	fateDelete    packFate = iota
	fateGone               // not in the store (an interrupted sweep deleted it)
	fateResurrect          // a snapshot uses it: index it again
	fateVisible            // indexed again meanwhile: keep, decide afresh later
)

// sweep is phase 2 (docs/garbage-collection.md): decide about every pack
// of the due markers, index again the marked packs that hold used blobs the
// index lacks, and only then delete the rest and the markers. A crash
// leaves the marker, and the next run finishes.
func (p *pruner) sweep(ctx context.Context, r *repo.Repository, due []marker) error {
	fates := map[repo.ID]packFate{}
	for _, mk := range due {
		for _, id := range mk.m.Packs {
			if _, seen := fates[id]; seen {
				continue
			}
			f, err := p.judge(ctx, r, id)
			if err != nil {
				return err
			}
			fates[id] = f
		}
	}
	if len(p.unindexed) > 0 {
		// Packs of pending markers may hold them too, and so may packs a
		// prune killed before writing its marker left hidden.
		for id := range p.sizes {
			if _, seen := fates[id]; seen || p.indexed(id) {
				continue
			}
			f, err := p.judge(ctx, r, id)
			if err != nil {
				return err
			}
			if f == fateResurrect {
				fates[id] = f
			}
		}
	}
	for k := range p.unindexed {
		return fmt.Errorf("%s blob %s is used by a snapshot but is in no index and no pack prune hid: %w", k.t, k.id.Short(), ErrDamaged)
	}
	var resurrect, deletable []repo.ID
	for id, f := range fates {
		switch f {
		case fateResurrect:
			resurrect = append(resurrect, id)
			p.resurrected[id] = true
		case fateVisible:
			p.rep.PacksKept++
		case fateDelete:
			deletable = append(deletable, id)
			p.swept[id] = true
			p.rep.PacksDeleted++
			p.rep.BytesFreed += p.sizes[id].Size
		}
	}
	p.rep.PacksResurrect = len(resurrect)
	if p.opts.DryRun || len(due)+len(resurrect) == 0 {
		return nil
	}
	if err := r.IndexPacks(ctx, resurrect); err != nil {
		return fmt.Errorf("index used marked packs again: %w", err)
	}
	for i, id := range deletable {
		if err := r.DeletePack(ctx, id); err != nil {
			return err
		}
		p.progress(Progress{Phase: "sweep", Done: int64(i + 1), Total: int64(len(deletable))})
	}
	for _, mk := range due {
		if err := r.DeleteIndexObjects(ctx, mk.m.Index); err != nil {
			return err
		}
		if err := r.DeleteDeletionMarker(ctx, mk.id); err != nil {
			return err
		}
	}
	return nil
}

// judge decides the fate of one marked pack, and removes the used blobs it
// holds from p.unindexed.
func (p *pruner) judge(ctx context.Context, r *repo.Repository, id repo.ID) (packFate, error) {
	if _, ok := p.sizes[id]; !ok {
		return fateGone, nil
	}
	if p.indexed(id) {
		// Indexed again since the mark (by a backup that was uploading it,
		// or a rebuild): a backup opened after the mark may use it.
		return fateVisible, nil
	}
	blobs, err := r.LoadPackHeader(ctx, id)
	switch {
	case errors.Is(err, blob.ErrNotExist):
		return fateGone, nil
	case errors.Is(err, repo.ErrIntegrity):
		// Unreadable, and in no index: it holds nothing a snapshot can
		// read. If a used blob was only there, p.unindexed says so and the
		// sweep stops before deleting anything.
		return fateDelete, nil
	case err != nil:
		return 0, fmt.Errorf("read marked pack %s: %w", id.Short(), err)
	}
	fate := fateDelete
	for _, b := range blobs {
		k := blobKey{b.Type, b.ID}
		if p.unindexed[k] {
			fate = fateResurrect
			delete(p.unindexed, k)
		}
	}
	return fate, nil
}

// indexed reports whether the loaded index names the pack.
func (p *pruner) indexed(id repo.ID) bool { return len(p.byPack[id]) > 0 }
