package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/crypto"
	"github.com/arcabackup/arca/internal/repo/index"
	"github.com/arcabackup/arca/internal/repo/pack"
	"github.com/zeebo/blake3"
)

// packer fills one pack at a time. It is owned by one goroutine at a time
// (taken from and returned to Repository.packers).
type packer struct {
	sealer  *crypto.Sealer
	buf     *[]byte
	entries []pack.Entry
	hdr     []byte // header plaintext
	ad      []byte
	// grow: the pack buffer starts small and grows as needed instead of
	// coming from the pool of full-size buffers (the tree packer: trees are
	// few, and most backups write one small tree pack).
	grow bool
}

// growStart is the initial buffer of a growing packer.
const growStart = 256 << 10

// getBuf returns a pack buffer: a recycled one if any.
func (r *Repository) getBuf() *[]byte { return r.freeBufs.get(r.opts.PackSize + (1 << 20)) }

func (r *Repository) putBuf(b *[]byte) {
	if cap(*b) < r.opts.PackSize+(1<<20) {
		return // a growing packer's: the pool holds full-size buffers only
	}
	r.freeBufs.put(b)
}

// compressBlob compresses plaintext into scratch if that pays and returns
// the payload to seal and its flags. It runs before a packer is taken, so
// that compression, the costly step, never waits for one.
func (r *Repository) compressBlob(scratch *[]byte, plaintext []byte) (payload []byte, flags uint8) {
	out, ok := r.comp.compress(*scratch, plaintext)
	*scratch = out[:0]
	if ok {
		return out, pack.FlagCompressed
	}
	return plaintext, 0
}

// add seals one blob (payload: plaintext, compressed if flags say so)
// into the pack. A pack that the blob would overflow (past its buffer's
// capacity, PackSize + 1 MiB) is finished first, so pack buffers are
// never reallocated and copied.
func (p *packer) add(ctx context.Context, r *Repository, t BlobType, id ID, payload []byte, flags uint8, rawLen int) error {
	if !p.grow && p.buf != nil && len(p.entries) > 0 && len(*p.buf)+len(payload)+crypto.Overhead > cap(*p.buf) {
		if err := p.finish(ctx, r); err != nil {
			return err
		}
	}
	if p.buf == nil && p.grow {
		b := make([]byte, 0, growStart)
		p.buf = &b
	}
	if p.buf == nil {
		p.buf = r.getBuf()
	}
	idArr := [32]byte(id)
	p.ad = pack.BlobAD(p.ad[:0], uint8(t), flags, uint32(rawLen), &idArr)
	before := len(*p.buf)
	sealed, err := p.sealer.Seal(*p.buf, payload, p.ad)
	if err != nil {
		return err
	}
	*p.buf = sealed
	p.entries = append(p.entries, pack.Entry{Type: uint8(t), Flags: flags, ID: idArr, Offset: uint32(before), Length: uint32(len(sealed) - before), RawLength: uint32(rawLen)})
	return nil
}

func (p *packer) full(r *Repository) bool { return p.buf != nil && len(*p.buf) >= r.opts.PackSize }

// finish seals the header, hands the pack to an uploader goroutine and
// resets the packer. It blocks while Uploads packs are already in flight.
func (p *packer) finish(ctx context.Context, r *Repository) error {
	if len(p.entries) == 0 {
		return nil
	}
	hdr := pack.AppendHeader(p.hdr[:0], p.entries)
	p.hdr = hdr[:0]
	before := len(*p.buf)
	sealed, err := p.sealer.Seal(*p.buf, hdr, pack.HeaderAD)
	if err != nil {
		return err
	}
	*p.buf = pack.AppendTrailer(sealed, len(sealed)-before)
	// The name is the BLAKE3 of the sealed header and trailer, not of the
	// whole pack: every blob is authenticated on its own and the header
	// tiles the data region, so hashing all bytes a second time bought
	// nothing (docs/repository-format.md §7).
	id := ID(blake3.Sum256((*p.buf)[before:]))
	blobs := make([]index.Blob, len(p.entries))
	for i, e := range p.entries {
		blobs[i] = index.Blob{Type: e.Type, Flags: e.Flags, ID: e.ID, Pack: id, Offset: e.Offset, Length: e.Length, RawLength: e.RawLength}
	}
	buf := p.buf
	p.buf, p.entries = nil, p.entries[:0]

	select {
	case r.uploadSem <- struct{}{}:
	case <-ctx.Done():
		r.putBuf(buf)
		r.fail(ctx.Err())
		return ctx.Err()
	}
	r.mu.Lock()
	r.inflight++
	r.mu.Unlock()
	go r.upload(ctx, id, buf, blobs)
	return nil
}

// upload stores one pack, then publishes its blobs to the index.
func (r *Repository) upload(ctx context.Context, id ID, buf *[]byte, blobs []index.Blob) {
	defer func() { <-r.uploadSem }()
	size := len(*buf)
	// Uploads outlive the SaveBlob call that started them (its context may
	// end with the caller's errgroup); Flush waits for them.
	// Durable once the next index object is written: saveHashedObject
	// syncs first (docs/repository-format.md, "Writing").
	err := blob.PutDeferred(context.WithoutCancel(ctx), r.store, packName(id), *buf)
	if errors.Is(err, blob.ErrExists) {
		err = nil // content-addressed: a retried Put that had succeeded
	}
	r.putBuf(buf)
	if err == nil {
		err = r.idx.Add(blobs)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.cond.Broadcast()
	r.inflight--
	if err != nil {
		if r.err == nil {
			r.err = fmt.Errorf("upload pack %s: %w", id.Short(), err)
		}
		return
	}
	for _, b := range blobs {
		delete(r.pending, blobKey{BlobType(b.Type), ID(b.ID)})
	}
	r.unindexed = append(r.unindexed, index.PackEntries{ID: id, Blobs: blobs})
	r.nUnindexed += len(blobs)
	r.stats.Packs++
	r.stats.BytesStored += uint64(size)
}

// fail records a sticky error.
func (r *Repository) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}
