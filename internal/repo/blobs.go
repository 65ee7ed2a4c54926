package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/arcabackup/arca/internal/repo/index"
	"github.com/arcabackup/arca/internal/repo/pack"
)

// SaveBlob stores plaintext as a blob of type t and returns its ID. If the
// blob is already in the repository (or being saved by another goroutine of
// this Repository) nothing is written and added is false. The blob is
// durable only after the next successful Flush. Safe for concurrent use;
// plaintext may be reused by the caller once SaveBlob returns.
func (r *Repository) SaveBlob(ctx context.Context, t BlobType, plaintext []byte) (id ID, added bool, err error) {
	if !t.Valid() {
		return ID{}, false, fmt.Errorf("save blob: invalid type %d", t)
	}
	if len(plaintext) > pack.MaxBlobSize {
		return ID{}, false, fmt.Errorf("save blob: %d bytes exceed the maximum blob size %d", len(plaintext), pack.MaxBlobSize)
	}
	id = ID(r.hasher.Sum(plaintext))
	key := blobKey{t, id}
	r.mu.Lock()
	if r.err != nil {
		err := r.err
		r.mu.Unlock()
		return id, false, err
	}
	if _, ok := r.pending[key]; ok || r.idx.Has(uint8(t), [32]byte(id)) {
		r.mu.Unlock()
		return id, false, nil
	}
	r.pending[key] = struct{}{}
	r.mu.Unlock()

	if err := r.pack(ctx, t, id, plaintext); err != nil {
		r.mu.Lock()
		delete(r.pending, key)
		r.mu.Unlock()
		return id, false, err
	}
	return id, true, nil
}

// pack seals a blob into a pack. Trees go to packs of their own (as in
// restic): a backup reads its parent's trees, restore and check read every
// tree first, and those reads then touch a few small packs instead of one
// place in each data pack.
func (r *Repository) pack(ctx context.Context, t BlobType, id ID, plaintext []byte) error {
	idle := r.packers
	if t == TreeBlob {
		idle = r.trees
	}
	scratch := r.scratch.get(0)
	defer r.scratch.put(scratch)
	payload, flags := r.compressBlob(scratch, plaintext)
	var p *packer
	select {
	case p = <-idle:
	case <-ctx.Done():
		return ctx.Err()
	}
	err := p.add(ctx, r, t, id, payload, flags, len(plaintext))
	if err == nil && p.full(r) {
		err = p.finish(ctx, r)
	}
	idle <- p
	if err != nil {
		return fmt.Errorf("save blob %s: %w", id.Short(), err)
	}
	r.mu.Lock()
	if t == DataBlob {
		r.stats.DataBlobs++
	} else {
		r.stats.TreeBlobs++
	}
	r.stats.BytesAdded += uint64(len(plaintext))
	r.mu.Unlock()
	if r.needIndexWrite() {
		return r.writeIndex(ctx)
	}
	return nil
}

// HasBlob reports whether the repository holds (or this Repository is
// saving) the blob.
func (r *Repository) HasBlob(t BlobType, id ID) bool {
	r.mu.Lock()
	_, ok := r.pending[blobKey{t, id}]
	r.mu.Unlock()
	return ok || r.idx.Has(uint8(t), [32]byte(id))
}

func toPacked(b index.Blob) PackedBlob {
	return PackedBlob{Type: BlobType(b.Type), ID: ID(b.ID), Pack: ID(b.Pack), Offset: b.Offset, Length: b.Length, RawLength: b.RawLength,
		Compressed: b.Flags&pack.FlagCompressed != 0}
}

// LookupBlob returns where a blob is stored, if it is in the index.
func (r *Repository) LookupBlob(t BlobType, id ID) (PackedBlob, bool) {
	b, ok := r.idx.Lookup(uint8(t), [32]byte(id))
	if !ok {
		return PackedBlob{}, false
	}
	return toPacked(b), true
}

// EachBlob calls fn for every index entry (a blob stored in several packs
// is visited once per pack), until fn returns an error. fn must not call
// methods of r that read the index.
func (r *Repository) EachBlob(fn func(PackedBlob) error) error {
	return r.idx.Each(func(b index.Blob) error { return fn(toPacked(b)) })
}

var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

// LoadBlob reads, decrypts, decompresses and verifies the blob, appending
// its plaintext to buf[:0] (buf may be nil) and returning it. Damaged or
// tampered data is an error matching ErrIntegrity, never wrong bytes. A
// blob unknown to the index is ErrBlobNotFound. Blobs saved through this
// Repository become loadable once their pack is uploaded (at the latest
// after Flush).
//
// A blob missing from the index is looked for in the packs that deletion
// markers name (prune hid them, but a snapshot written by a backup that
// opened before may use them) before it is ErrBlobNotFound.
func (r *Repository) LoadBlob(ctx context.Context, t BlobType, id ID, buf []byte) ([]byte, error) {
	ib, ok := r.idx.Lookup(uint8(t), [32]byte(id))
	b := toPacked(ib)
	if !ok {
		var err error
		b, ok, err = r.findMarked(ctx, t, id)
		if err != nil {
			return nil, fmt.Errorf("load %s blob %s: look in packs marked for deletion: %w", t, id.Short(), err)
		}
		if !ok {
			return nil, fmt.Errorf("load %s blob %s: %w", t, id, ErrBlobNotFound)
		}
	}
	if plain, ok, err := r.treePacks.load(ctx, r, t, b, buf); ok {
		return plain, err // whole tree packs while CacheTreePacks holds (treecache.go)
	}
	rb := readBufs.Get().(*[]byte)
	defer readBufs.Put(rb)
	raw, err := r.readPackRange(ctx, b.Pack, int64(b.Offset), int(b.Length), (*rb)[:0])
	*rb = raw[:0]
	if err != nil {
		return nil, fmt.Errorf("load %s blob %s: %w", t, id.Short(), err)
	}
	return r.openBlob(b, raw, buf[:0])
}

// openBlob decrypts, decompresses and verifies one stored blob.
func (r *Repository) openBlob(b PackedBlob, sealed, dst []byte) ([]byte, error) {
	var flags uint8
	if b.Compressed {
		flags = pack.FlagCompressed
	}
	idArr := [32]byte(b.ID)
	var adBuf [64]byte
	ad := pack.BlobAD(adBuf[:0], uint8(b.Type), flags, b.RawLength, &idArr)
	bad := func(why string) error {
		return fmt.Errorf("%s blob %s in pack %s: %s: %w", b.Type, b.ID.Short(), b.Pack.Short(), why, ErrIntegrity)
	}
	var out []byte
	var err error
	if flags&pack.FlagCompressed == 0 {
		out, err = r.opener.Open(growBuf(dst, int(b.RawLength)), sealed, ad)
		if err != nil {
			return nil, bad("authentication failed")
		}
	} else {
		sb := readBufs.Get().(*[]byte)
		defer readBufs.Put(sb)
		*sb = growBuf(*sb, len(sealed))
		plain, err := r.opener.Open((*sb)[:0], sealed, ad)
		if err != nil {
			return nil, bad("authentication failed")
		}
		*sb = plain[:0]
		if out, err = r.comp.decompress(dst, plain, int(b.RawLength)); err != nil {
			return nil, bad(err.Error())
		}
	}
	if len(out) != int(b.RawLength) {
		return nil, bad("wrong length")
	}
	if ID(r.hasher.Sum(out)) != b.ID {
		return nil, bad("content does not match the id")
	}
	return out, nil
}

// growBuf returns b[:0] with room for n bytes: b itself if it is large
// enough, else a new buffer, rounded up to whole MiB beyond 64 KiB, so
// that a recycled buffer is reallocated (and zeroed) a few times, not
// once per larger blob.
func growBuf(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:0]
	}
	if n > 64<<10 {
		n = (n + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return make([]byte, 0, n)
}

// readPackRange reads length bytes at offset of a pack, appending to dst.
func (r *Repository) readPackRange(ctx context.Context, packID ID, offset int64, length int, dst []byte) ([]byte, error) {
	rc, err := r.store.Get(ctx, packName(packID), offset, int64(length))
	if err != nil {
		return dst, err
	}
	defer rc.Close()
	dst = growBuf(dst, length)[:length]
	if _, err := io.ReadFull(rc, dst); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return dst[:0], fmt.Errorf("read pack %s at %d: the pack is shorter than the index says: %w", packID.Short(), offset, ErrIntegrity)
		}
		return dst[:0], fmt.Errorf("read pack %s at %d: %w", packID.Short(), offset, err)
	}
	return dst, nil
}

// Flush seals and uploads all partly filled packs and writes an index
// object for every blob saved since the last Flush. When it returns nil,
// everything saved before the call is durable. Safe to call concurrently
// with SaveBlob (blobs saved meanwhile may land in this flush or the next).
func (r *Repository) Flush(ctx context.Context) error {
	if err := finishAll(ctx, r, r.packers, r.opts.Packers); err != nil {
		return err
	}
	if err := finishAll(ctx, r, r.trees, 1); err != nil {
		return err
	}
	r.mu.Lock()
	for r.inflight > 0 {
		r.cond.Wait()
	}
	err := r.err
	r.mu.Unlock()
	if err != nil {
		return err
	}
	return r.writeIndex(ctx)
}

// finishAll takes each of the n packers of idle in turn and finishes its pack.
func finishAll(ctx context.Context, r *Repository, idle chan *packer, n int) error {
	for range n {
		var p *packer
		select {
		case p = <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
		err := p.finish(ctx, r)
		idle <- p
		if err != nil {
			return err
		}
	}
	return nil
}

// writeIndex writes one index object for the uploaded packs that have none.
func (r *Repository) writeIndex(ctx context.Context) error {
	r.indexWrites.Lock()
	defer r.indexWrites.Unlock()
	r.mu.Lock()
	packs := r.unindexed
	r.unindexed, r.nUnindexed = nil, 0
	r.mu.Unlock()
	if len(packs) == 0 {
		return nil
	}
	obj := &index.Object{Packs: packs}
	id, err := r.saveHashedObject(ctx, indexPrefix, obj.Encode(nil))
	if err != nil {
		r.mu.Lock()
		r.unindexed = append(packs, r.unindexed...)
		for _, p := range packs {
			r.nUnindexed += len(p.Blobs)
		}
		r.mu.Unlock()
		return err
	}
	r.mu.Lock()
	r.indexObjs[id] = struct{}{}
	r.lastIndex = r.opts.Now()
	r.mu.Unlock()
	return nil
}

// maxGap is the largest run of unwanted bytes LoadPackBlobs reads through
// rather than starting a new request.
const maxGap = 1 << 20

// LoadPackBlobs loads several blobs of one pack with as few ranged reads as
// possible (neighbouring blobs, gaps up to 1 MiB, are read in one request)
// and calls fn with each blob's verified plaintext, or an error matching
// ErrIntegrity, in offset order. The plaintext is valid only during the
// call. An error returned by fn stops the loading and is returned; a read
// failure of the store is returned as is. This is the restore and check
// fast path: one request per pack region instead of one per blob.
func (r *Repository) LoadPackBlobs(ctx context.Context, packID ID, blobs []PackedBlob, fn func(b PackedBlob, plaintext []byte, err error) error) error {
	bs := slices.Clone(blobs)
	slices.SortFunc(bs, func(a, b PackedBlob) int { return cmp.Compare(a.Offset, b.Offset) })
	var region, plain []byte
	for i := 0; i < len(bs); {
		start, end := int64(bs[i].Offset), int64(bs[i].Offset)+int64(bs[i].Length)
		j := i + 1
		for ; j < len(bs); j++ {
			o := int64(bs[j].Offset)
			if o > end+maxGap {
				break
			}
			end = max(end, o+int64(bs[j].Length))
		}
		var err error
		region, err = r.readPackRange(ctx, packID, start, int(end-start), region[:0])
		if err != nil && !errors.Is(err, ErrIntegrity) {
			return err
		}
		for _, b := range bs[i:j] {
			b.Pack = packID
			var berr error
			if err != nil {
				berr = err
			} else {
				off := int64(b.Offset) - start
				plain, berr = r.openBlob(b, region[off:off+int64(b.Length)], plain[:0])
			}
			if ferr := fn(b, plain, berr); ferr != nil {
				return ferr
			}
		}
		i = j
	}
	return nil
}
