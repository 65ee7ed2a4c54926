package repo

import (
	"context"
	"io"
	"sync"
)

// Tree pack cache sizes. Trees live in packs of their own, written in the
// order a backup finishes its directories, so a walk over a snapshot's
// trees (a backup comparing with its parent) moves through few packs, each
// read many times: 1.3k trees of the Go source tree sit in one 0.9 MiB pack.
const (
	// treeCacheBytes bounds the sealed packs kept: four default-size packs.
	treeCacheBytes = 4 * DefaultPackSize
	// treeCachePackMax is the largest pack read whole; a larger one (not a
	// tree pack this package wrote) is read by ranges as without the cache.
	treeCachePackMax = DefaultPackSize + DefaultPackSize/2
)

// treePackCache keeps whole tree packs, still sealed, in memory while a
// walk over many trees runs: one read per pack instead of an open, a
// ranged read and a close per tree (three quarters of the system calls of
// loading a parent's trees on a local store, one request per tree on S3).
// Every load still decrypts and verifies its blob. The zero value is off;
// CacheTreePacks turns it on.
type treePackCache struct {
	mu    sync.Mutex
	limit int64 // bytes of packs kept; 0: treeCacheBytes
	users int
	size  int64
	tick  uint64
	packs map[ID]*cachedPack
}

// cachedPack is one pack being read (done open) or read.
type cachedPack struct {
	done chan struct{}
	data []byte // nil if the read failed: loads fall back to ranged reads
	used uint64 // tick of the last use, for eviction
}

// CacheTreePacks makes LoadBlob read a tree blob's whole pack once and
// serve the pack's other trees from memory, keeping up to 16 MiB of packs,
// until release is called. Calls nest: the cache lives while any caller
// holds it. For walks that load many trees (a backup reading its parent
// snapshot's); a single lookup is cheaper without it.
func (r *Repository) CacheTreePacks() (release func()) {
	c := &r.treePacks
	c.mu.Lock()
	c.users++
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.users--; c.users == 0 {
				c.packs, c.size = nil, 0
			}
		})
	}
}

// load returns the plaintext of the tree blob b from its cached pack,
// appended to dst[:0]. ok is false when the cache does not serve it (off,
// not a tree, a pack too large or that could not be read whole, or shorter
// than the index says): the caller then reads the blob's range itself, and
// reports what is wrong.
func (c *treePackCache) load(ctx context.Context, r *Repository, t BlobType, b PackedBlob, dst []byte) (plain []byte, ok bool, err error) {
	if t != TreeBlob {
		return nil, false, nil
	}
	data := c.pack(ctx, r, b)
	end := int64(b.Offset) + int64(b.Length)
	if data == nil || end > int64(len(data)) {
		return nil, false, nil
	}
	plain, err = r.openBlob(b, data[b.Offset:end], dst[:0])
	return plain, true, err
}

// pack returns the sealed bytes of b's pack, reading it if no other load
// has, or nil.
func (c *treePackCache) pack(ctx context.Context, r *Repository, b PackedBlob) []byte {
	c.mu.Lock()
	if c.users == 0 {
		c.mu.Unlock()
		return nil
	}
	if c.packs == nil {
		c.packs = map[ID]*cachedPack{}
	}
	c.tick++
	p, found := c.packs[b.Pack]
	if !found {
		p = &cachedPack{done: make(chan struct{})}
		c.packs[b.Pack] = p
	}
	p.used = c.tick
	c.mu.Unlock()
	if found {
		select {
		case <-p.done:
			return p.data
		case <-ctx.Done():
			return nil
		}
	}
	data := readWholePack(ctx, r, b)
	c.mu.Lock()
	if data == nil {
		if c.packs[b.Pack] == p {
			delete(c.packs, b.Pack)
		}
	} else if c.packs[b.Pack] == p { // not dropped by a release meanwhile
		p.data = data
		c.size += int64(len(data))
		c.evict(p)
	}
	c.mu.Unlock()
	close(p.done)
	return data
}

// evict drops the least recently used read packs other than keep until
// the cache is within its bound.
func (c *treePackCache) evict(keep *cachedPack) {
	limit := c.limit
	if limit == 0 {
		limit = treeCacheBytes
	}
	for c.size > limit {
		var oldest ID
		var victim *cachedPack
		for id, p := range c.packs {
			if p != keep && p.data != nil && (victim == nil || p.used < victim.used) {
				oldest, victim = id, p
			}
		}
		if victim == nil {
			return
		}
		delete(c.packs, oldest)
		c.size -= int64(len(victim.data))
	}
}

// readWholePack reads b's pack, or returns nil if it cannot be read or is
// larger than treeCachePackMax.
func readWholePack(ctx context.Context, r *Repository, b PackedBlob) []byte {
	rc, err := r.store.Get(ctx, packName(b.Pack), 0, -1)
	if err != nil {
		return nil
	}
	defer rc.Close()
	expected := min(int64(b.Offset)+int64(b.Length)+64<<10, treeCachePackMax)
	buf, err := readAllSized(io.LimitReader(rc, treeCachePackMax+1), expected)
	if err != nil || len(buf) > treeCachePackMax {
		return nil
	}
	return buf
}
