package repo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/index"
	"github.com/arcabackup/arca/internal/repo/pack"
	"golang.org/x/sync/errgroup"
)

// An index object is written automatically once autoIndexBlobs blobs have
// been uploaded without one, or autoIndexInterval has passed since the last
// one, so a crash mid-backup loses little index work and a running
// backup's packs become visible to prune's sweep soon after upload
// (docs/garbage-collection.md, phase 2 rule 3).
const (
	autoIndexBlobs    = 1 << 16
	autoIndexInterval = 10 * time.Minute
)

func (r *Repository) listIDs(ctx context.Context, prefix string) ([]ID, error) {
	var ids []ID
	err := r.store.List(ctx, prefix, func(i blob.Info) error {
		id, err := parseNamedID(i.Name)
		if err != nil {
			return nil // not ours: ignore stray objects
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	return ids, nil
}

// loadIndex reads every index object into the in-memory index, skipping
// objects that another index object supersedes (compaction, rebuild and
// prune write objects that repeat older ones, minus what they drop).
func (r *Repository) loadIndex(ctx context.Context) error {
	ids, err := r.listIDs(ctx, indexPrefix)
	if err != nil {
		return err
	}
	superseded, err := r.addIndexObjects(ctx, ids, nil)
	if err != nil || len(superseded) == 0 {
		return err
	}
	// Rare (a compaction or prune is between its phases): load again
	// without the superseded objects rather than hold every decoded
	// object in memory in the common case.
	if err := r.idx.Replace(nil); err != nil {
		return err
	}
	r.mu.Lock()
	clear(r.indexObjs)
	r.mu.Unlock()
	_, err = r.addIndexObjects(ctx, ids, superseded)
	return err
}

// addIndexObjects loads the objects ids except skip and returns the ids
// that loaded objects supersede (among ids).
func (r *Repository) addIndexObjects(ctx context.Context, ids []ID, skip map[ID]bool) (map[ID]bool, error) {
	listed := make(map[ID]bool, len(ids))
	for _, id := range ids {
		listed[id] = true
	}
	superseded := map[ID]bool{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(r.store.Connections(), 1))
	var mu sync.Mutex
	for _, id := range ids {
		if skip[id] {
			continue
		}
		g.Go(func() error {
			plain, err := r.loadHashedObject(gctx, indexPrefix, id)
			if errors.Is(err, blob.ErrNotExist) {
				return nil // superseded and removed meanwhile
			}
			if err != nil {
				return err
			}
			obj, err := index.DecodeObject(plain)
			if err != nil {
				return fmt.Errorf("index %s: %w: %w", id.Short(), err, ErrIntegrity)
			}
			if err := r.idx.Add(obj.Blobs()); err != nil {
				return err
			}
			mu.Lock()
			for _, s := range obj.Supersedes {
				if listed[ID(s)] {
					superseded[ID(s)] = true
				}
			}
			mu.Unlock()
			r.mu.Lock()
			r.indexObjs[id] = struct{}{}
			r.mu.Unlock()
			return nil
		})
	}
	return superseded, g.Wait()
}

// needIndexWrite reports whether enough blobs await an index object.
func (r *Repository) needIndexWrite() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nUnindexed >= autoIndexBlobs || len(r.unindexed) > 0 && r.opts.Now().Sub(r.lastIndex) >= autoIndexInterval
}

// LoadPackHeader reads and decrypts the header of a pack and returns its
// blobs; this is what rebuilds the index from packs alone.
func (r *Repository) LoadPackHeader(ctx context.Context, packID ID) ([]PackedBlob, error) {
	name := packName(packID)
	info, err := r.store.Stat(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("stat pack %s: %w", packID.Short(), err)
	}
	tail, err := r.readPackRange(ctx, packID, info.Size-pack.TrailerSize, pack.TrailerSize, nil)
	if err != nil {
		return nil, err
	}
	hlen, err := pack.ParseTrailer(tail, info.Size)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w: %w", packID.Short(), err, ErrIntegrity)
	}
	dataLen := info.Size - pack.TrailerSize - int64(hlen)
	sealed, err := r.readPackRange(ctx, packID, dataLen, hlen, nil)
	if err != nil {
		return nil, err
	}
	hdr, err := r.opener.Open(nil, sealed, pack.HeaderAD)
	if err != nil {
		return nil, fmt.Errorf("pack %s header: %w", packID.Short(), ErrIntegrity)
	}
	entries, err := pack.DecodeHeader(hdr, dataLen)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w: %w", packID.Short(), err, ErrIntegrity)
	}
	out := make([]PackedBlob, len(entries))
	for i, e := range entries {
		out[i] = PackedBlob{Type: BlobType(e.Type), ID: ID(e.ID), Pack: packID, Offset: e.Offset, Length: e.Length, RawLength: e.RawLength}
		if e.Flags&pack.FlagCompressed != 0 {
			out[i].Compressed = true
		}
	}
	return out, nil
}

// ListPacks calls fn for every pack file in the store.
func (r *Repository) ListPacks(ctx context.Context, fn func(id ID, size int64) error) error {
	return r.store.List(ctx, dataPrefix, func(i blob.Info) error {
		id, err := parseNamedID(i.Name)
		if err != nil {
			return nil
		}
		return fn(id, i.Size)
	})
}

// RebuildResult reports what RebuildIndex did.
type RebuildResult struct {
	Packs        int  // packs read
	Blobs        int  // blobs indexed
	DamagedPacks []ID // packs whose header could not be read; their blobs are not indexed
	Removed      int  // old index objects removed
}

// RebuildIndex reads the header of every pack and writes new index
// objects covering all of them, then removes the index objects that
// existed before it started. Concurrent writers stay safe: index objects
// are listed before packs, so every removed index object's packs were seen.
func (r *Repository) RebuildIndex(ctx context.Context) (RebuildResult, error) {
	var res RebuildResult
	old, err := r.listIDs(ctx, indexPrefix)
	if err != nil {
		return res, err
	}
	var packs []ID
	if err := r.ListPacks(ctx, func(id ID, _ int64) error { packs = append(packs, id); return nil }); err != nil {
		return res, err
	}
	var mu sync.Mutex
	var obj index.Object
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(r.store.Connections(), 1))
	for _, id := range packs {
		g.Go(func() error {
			blobs, err := r.LoadPackHeader(gctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if errors.Is(err, ErrIntegrity) || errors.Is(err, blob.ErrNotExist) {
					res.DamagedPacks = append(res.DamagedPacks, id)
					return nil
				}
				return err
			}
			pe := index.PackEntries{ID: id}
			for _, b := range blobs {
				pe.Blobs = append(pe.Blobs, indexBlob(b))
			}
			obj.Packs = append(obj.Packs, pe)
			res.Packs++
			res.Blobs += len(blobs)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	if err := r.replaceIndex(ctx, &obj, old); err != nil {
		return res, err
	}
	res.Removed = len(old)
	return res, nil
}

func indexBlob(b PackedBlob) index.Blob {
	var flags uint8
	if b.Compressed {
		flags = pack.FlagCompressed
	}
	return index.Blob{Type: uint8(b.Type), Flags: flags, ID: [32]byte(b.ID), Pack: [32]byte(b.Pack), Offset: b.Offset, Length: b.Length, RawLength: b.RawLength}
}

// maxIndexObjectBlobs bounds one index object (~23 MiB).
const maxIndexObjectBlobs = 500_000

// replaceIndex writes obj (split into bounded objects) superseding old,
// adds its entries to the in-memory index, then deletes old.
func (r *Repository) replaceIndex(ctx context.Context, obj *index.Object, old []ID) error {
	parts := splitObject(obj)
	for i, part := range parts {
		if i == 0 {
			for _, id := range old {
				part.Supersedes = append(part.Supersedes, [32]byte(id))
			}
		}
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
	for _, id := range old {
		if err := r.store.Delete(ctx, indexPrefix+id.String()); err != nil {
			return fmt.Errorf("remove superseded index %s: %w", id.Short(), err)
		}
		r.mu.Lock()
		delete(r.indexObjs, id)
		r.mu.Unlock()
	}
	return nil
}

func splitObject(obj *index.Object) []*index.Object {
	var parts []*index.Object
	cur, n := &index.Object{}, 0
	for _, p := range obj.Packs {
		if n > 0 && n+len(p.Blobs) > maxIndexObjectBlobs {
			parts = append(parts, cur)
			cur, n = &index.Object{}, 0
		}
		cur.Packs = append(cur.Packs, p)
		n += len(p.Blobs)
	}
	return append(parts, cur)
}

// CompactIndex rewrites all index objects this Repository has loaded or
// written into as few objects as possible and removes the old ones. Index
// objects written meanwhile by other processes are untouched. Run it while
// this Repository saves nothing else (blobs uploaded during the call are
// durable and indexed on disk, but this Repository forgets them until it
// is reopened).
func (r *Repository) CompactIndex(ctx context.Context) (removed int, err error) {
	if err := r.Flush(ctx); err != nil {
		return 0, err
	}
	r.mu.Lock()
	old := make([]ID, 0, len(r.indexObjs))
	for id := range r.indexObjs {
		old = append(old, id)
	}
	r.mu.Unlock()
	if len(old) < 2 {
		return 0, nil
	}
	byPack := map[[32]byte][]index.Blob{}
	if err := r.idx.Each(func(b index.Blob) error {
		byPack[b.Pack] = append(byPack[b.Pack], b)
		return nil
	}); err != nil {
		return 0, err
	}
	obj := &index.Object{}
	for id, blobs := range byPack {
		obj.Packs = append(obj.Packs, index.PackEntries{ID: id, Blobs: dedupBlobs(blobs)})
	}
	// The in-memory index holds these entries already, possibly twice:
	// replace its content so duplicates go.
	if err := r.idx.Replace(obj.Blobs()); err != nil {
		return 0, err
	}
	parts := splitObject(obj)
	for i, part := range parts {
		if i == 0 {
			for _, id := range old {
				part.Supersedes = append(part.Supersedes, [32]byte(id))
			}
		}
		id, err := r.saveHashedObject(ctx, indexPrefix, part.Encode(nil))
		if err != nil {
			return 0, err
		}
		r.mu.Lock()
		r.indexObjs[id] = struct{}{}
		r.mu.Unlock()
	}
	for _, id := range old {
		if err := r.store.Delete(ctx, indexPrefix+id.String()); err != nil {
			return 0, fmt.Errorf("remove superseded index %s: %w", id.Short(), err)
		}
		r.mu.Lock()
		delete(r.indexObjs, id)
		r.mu.Unlock()
	}
	return len(old), nil
}

func dedupBlobs(bs []index.Blob) []index.Blob {
	seen := make(map[[33]byte]bool, len(bs))
	out := bs[:0]
	for _, b := range bs {
		var k [33]byte
		copy(k[:], b.ID[:])
		k[32] = b.Type
		if !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	return out
}
