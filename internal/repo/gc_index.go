package repo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/index"
)

// RewriteIndexWithout hides packs from the index: every index object that
// names one of drop is replaced by new objects that repeat all its other
// entries and supersede it. Index objects that name none of drop are
// untouched, so concurrent writers' objects are safe. The replaced objects
// are not deleted: loaders skip them once the new objects are listed, and
// a loader that listed before still gets a complete (older) view; prune
// deletes them with the packs, after the safety delay. It returns the
// replaced objects, and the objects found already superseded (left by
// earlier rewrites, compactions or interrupted prunes), which are ignored.
// This Repository's own in-memory index is not changed.
func (r *Repository) RewriteIndexWithout(ctx context.Context, drop map[ID]bool) (replaced, stale []ID, err error) {
	ids, err := r.listIDs(ctx, indexPrefix)
	if err != nil {
		return nil, nil, err
	}
	objs := map[ID]*index.Object{}
	superseded := map[ID]bool{}
	for _, id := range ids {
		plain, err := r.loadHashedObject(ctx, indexPrefix, id)
		if errors.Is(err, blob.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, nil, err
		}
		obj, err := index.DecodeObject(plain)
		if err != nil {
			return nil, nil, fmt.Errorf("index %s: %w: %w", id.Short(), err, ErrIntegrity)
		}
		objs[id] = obj
		for _, s := range obj.Supersedes {
			superseded[ID(s)] = true
		}
	}
	kept := &index.Object{}
	for _, id := range ids {
		obj, ok := objs[id]
		if !ok {
			continue
		}
		if superseded[id] {
			stale = append(stale, id)
			continue
		}
		if !namesAny(obj, drop) {
			continue
		}
		replaced = append(replaced, id)
		for _, p := range obj.Packs {
			if !drop[ID(p.ID)] {
				kept.Packs = append(kept.Packs, p)
			}
		}
	}
	if len(replaced) == 0 {
		return nil, stale, nil
	}
	for i, part := range splitObject(kept) {
		if i == 0 {
			// The stale objects too: superseded objects are deleted in
			// whatever order sweeps come, and an object must never outlive
			// every object that supersedes it.
			for _, id := range append(append([]ID(nil), replaced...), stale...) {
				part.Supersedes = append(part.Supersedes, [32]byte(id))
			}
		}
		if _, err := r.saveHashedObject(ctx, indexPrefix, part.Encode(nil)); err != nil {
			return nil, nil, err
		}
	}
	return replaced, stale, nil
}

func namesAny(obj *index.Object, packs map[ID]bool) bool {
	for _, p := range obj.Packs {
		if packs[ID(p.ID)] {
			return true
		}
	}
	return false
}

// DeleteIndexObjects removes index objects that other objects supersede.
// Only prune's sweep calls it, a safety delay after superseding them.
func (r *Repository) DeleteIndexObjects(ctx context.Context, ids []ID) error {
	for _, id := range ids {
		if err := r.store.Delete(ctx, indexPrefix+id.String()); err != nil {
			return fmt.Errorf("remove superseded index %s: %w", id.Short(), err)
		}
	}
	return nil
}

// IndexPacks writes one index object for packs, read from their headers,
// and adds their blobs to this Repository's index. Prune uses it to make a
// marked pack visible again when a snapshot turned out to use it.
func (r *Repository) IndexPacks(ctx context.Context, packs []ID) error {
	obj := &index.Object{}
	for _, id := range packs {
		blobs, err := r.LoadPackHeader(ctx, id)
		if err != nil {
			return err
		}
		pe := index.PackEntries{ID: [32]byte(id)}
		for _, b := range blobs {
			pe.Blobs = append(pe.Blobs, indexBlob(b))
		}
		obj.Packs = append(obj.Packs, pe)
	}
	if len(obj.Packs) == 0 {
		return nil
	}
	for _, part := range splitObject(obj) {
		// Index objects are named by the hash of their content, and the
		// object that first indexed these packs may be superseded (by the
		// rewrite that hid them): an identical object would be skipped by
		// every loader. A random id in supersedes, which names no object,
		// makes this one new.
		var nonce [32]byte
		if _, err := rand.Read(nonce[:]); err != nil {
			return err
		}
		part.Supersedes = append(part.Supersedes, nonce)
		id, err := r.saveHashedObject(ctx, indexPrefix, part.Encode(nil))
		if err != nil {
			return err
		}
		if err := r.idx.Add(part.Blobs()); err != nil {
			return err
		}
		r.mu.Lock()
		r.indexObjs[id] = struct{}{}
		r.mu.Unlock()
	}
	return nil
}

// RepackBlobs copies blobs, each read (and verified) from the place given,
// into new packs whatever copies the index knows, then flushes: when it
// returns nil the copies are durable and indexed. progress, if set, is
// called with the plaintext bytes of each blob copied.
func (r *Repository) RepackBlobs(ctx context.Context, blobs []PackedBlob, progress func(int64)) error {
	// One read per source pack: the span from its first to its last blob.
	byPack := map[ID][]PackedBlob{}
	var order []ID
	copied := map[blobKey]bool{}
	for _, b := range blobs {
		if copied[blobKey{b.Type, b.ID}] {
			continue
		}
		copied[blobKey{b.Type, b.ID}] = true
		if _, ok := byPack[b.Pack]; !ok {
			order = append(order, b.Pack)
		}
		byPack[b.Pack] = append(byPack[b.Pack], b)
	}
	var span, plain []byte
	for _, p := range order {
		list := byPack[p]
		lo, hi := int64(list[0].Offset), int64(0)
		for _, b := range list {
			lo = min(lo, int64(b.Offset))
			hi = max(hi, int64(b.Offset)+int64(b.Length))
		}
		var err error
		if span, err = r.readPackRange(ctx, p, lo, int(hi-lo), span[:0]); err != nil {
			return fmt.Errorf("repack from pack %s: %w", p.Short(), err)
		}
		for _, b := range list {
			off := int64(b.Offset) - lo
			if plain, err = r.openBlob(b, span[off:off+int64(b.Length)], plain[:0]); err != nil {
				return fmt.Errorf("repack: %w", err)
			}
			if err := r.repackOne(ctx, b, plain); err != nil {
				return err
			}
			if progress != nil {
				progress(int64(len(plain)))
			}
		}
	}
	return r.Flush(ctx)
}

// repackOne saves a new copy of a blob, whatever copies the index knows.
func (r *Repository) repackOne(ctx context.Context, b PackedBlob, plain []byte) error {
	key := blobKey{b.Type, b.ID}
	r.mu.Lock()
	r.pending[key] = struct{}{}
	r.mu.Unlock()
	if err := r.pack(ctx, b.Type, b.ID, plain); err != nil {
		r.mu.Lock()
		delete(r.pending, key)
		r.mu.Unlock()
		return fmt.Errorf("repack: %w", err)
	}
	return nil
}
