package index

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
)

// Options tune an Index.
type Options struct {
	// SpillDir, when set, moves every segment of at least SpillEntries
	// entries to a file in this directory.
	SpillDir string
	// SpillEntries is the spill threshold (default 1<<16).
	SpillEntries int
}

// Index is the in-memory (or spilled) blob index. It is safe for
// concurrent use.
type Index struct {
	opts Options

	mu      sync.RWMutex
	packs   [][32]byte
	packIdx map[[32]byte]uint32
	segs    []segment
	n       int
}

// New returns an empty Index.
func New(opts Options) *Index {
	if opts.SpillEntries <= 0 {
		opts.SpillEntries = 1 << 16
	}
	return &Index{opts: opts, packIdx: make(map[[32]byte]uint32)}
}

// Close releases spill files.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	var first error
	for _, s := range x.segs {
		if err := s.close(); err != nil && first == nil {
			first = err
		}
	}
	x.segs, x.n = nil, 0
	return first
}

// Len returns the number of entries (duplicates included).
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.n
}

// Packs returns the number of packs the index knows.
func (x *Index) Packs() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.packs)
}

// HasPack reports whether some entry points into pack.
func (x *Index) HasPack(pack [32]byte) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.packIdx[pack]
	return ok
}

func (x *Index) packNo(pack [32]byte) uint32 {
	if i, ok := x.packIdx[pack]; ok {
		return i
	}
	i := uint32(len(x.packs))
	x.packs = append(x.packs, pack)
	x.packIdx[pack] = i
	return i
}

func (x *Index) toEntries(blobs []Blob) ([]entry, error) {
	es := make([]entry, len(blobs))
	for i, b := range blobs {
		if b.RawLength > rawMask || b.Type == 0 || b.Type > 3 || b.Flags > 3 {
			return nil, fmt.Errorf("index entry %x: type %d flags %d raw length %d out of range", b.ID[:4], b.Type, b.Flags, b.RawLength)
		}
		es[i] = entry{id: b.ID, pack: x.packNo(b.Pack), offset: b.Offset, length: b.Length, meta: makeMeta(b.Type, b.Flags, b.RawLength)}
	}
	return es, nil
}

// Add inserts blobs (from any number of packs) as one new sorted segment
// and merges segments so that there are O(log n) of them.
func (x *Index) Add(blobs []Blob) error {
	if len(blobs) == 0 {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	es, err := x.toEntries(blobs)
	if err != nil {
		return err
	}
	slices.SortFunc(es, compareEntries)
	var seg segment = newMemSegment(es)
	if x.opts.SpillDir != "" && len(es) >= x.opts.SpillEntries {
		if seg, err = spillSlice(x.opts.SpillDir, es); err != nil {
			return err
		}
	}
	x.segs = append(x.segs, seg)
	x.n += len(es)
	return x.compact()
}

func spillSlice(dir string, es []entry) (segment, error) {
	i := 0
	return spill(dir, len(es), func() (entry, bool) {
		if i == len(es) {
			return entry{}, false
		}
		i++
		return es[i-1], true
	})
}

// Replace drops every entry and inserts blobs instead. The pack table is
// rebuilt from blobs, so a pack none of them names is no longer known
// (HasPack, Packs). On error the index is unchanged.
func (x *Index) Replace(blobs []Blob) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	packs, packIdx := x.packs, x.packIdx
	x.packs, x.packIdx = nil, make(map[[32]byte]uint32)
	es, err := x.toEntries(blobs)
	if err != nil {
		x.packs, x.packIdx = packs, packIdx
		return err
	}
	slices.SortFunc(es, compareEntries)
	var seg segment = newMemSegment(es)
	if x.opts.SpillDir != "" && len(es) >= x.opts.SpillEntries {
		if seg, err = spillSlice(x.opts.SpillDir, es); err != nil {
			return err
		}
	}
	for _, s := range x.segs {
		_ = s.close()
	}
	x.segs, x.n = []segment{seg}, len(es)
	return nil
}

// compact merges the two newest segments while the older is at most four
// times the size of the newer one.
func (x *Index) compact() error {
	for len(x.segs) >= 2 {
		a, b := x.segs[len(x.segs)-2], x.segs[len(x.segs)-1]
		if a.len() > 4*b.len() {
			return nil
		}
		m, err := x.merge(a, b)
		if err != nil {
			return err
		}
		_ = a.close()
		_ = b.close()
		x.segs = append(x.segs[:len(x.segs)-2], m)
	}
	return nil
}

var errStop = errors.New("stop")

// pull returns a pull iterator over a segment's entries.
func pull(s segment) (next func() (entry, bool), stop func(), errp *error) {
	var err error
	seq := func(yield func(entry) bool) {
		e := s.each(func(e *entry) error {
			if !yield(*e) {
				return errStop
			}
			return nil
		})
		if e != nil && !errors.Is(e, errStop) {
			err = e
		}
	}
	next, stop = iter.Pull(seq)
	return next, stop, &err
}

// merge streams two sorted segments into one; spilled when large, so a
// merge of spilled segments never holds them in memory.
func (x *Index) merge(a, b segment) (segment, error) {
	n := a.len() + b.len()
	na, stopA, errA := pull(a)
	defer stopA()
	nb, stopB, errB := pull(b)
	defer stopB()
	ea, okA := na()
	eb, okB := nb()
	next := func() (entry, bool) {
		switch {
		case okA && (!okB || compareEntries(ea, eb) <= 0):
			e := ea
			ea, okA = na()
			return e, true
		case okB:
			e := eb
			eb, okB = nb()
			return e, true
		}
		return entry{}, false
	}
	var seg segment
	var err error
	if x.opts.SpillDir != "" && n >= x.opts.SpillEntries {
		seg, err = spill(x.opts.SpillDir, n, next)
	} else {
		out := make([]entry, 0, n)
		for e, ok := next(); ok; e, ok = next() {
			out = append(out, e)
		}
		seg = newMemSegment(out)
		if len(out) != n {
			err = fmt.Errorf("merge index segments: got %d of %d entries", len(out), n)
		}
	}
	if err == nil {
		err = errors.Join(*errA, *errB)
	}
	if err != nil {
		return nil, fmt.Errorf("merge index segments: %w", err)
	}
	return seg, nil
}

func (x *Index) blob(e entry) Blob {
	return Blob{Type: e.typ(), Flags: e.flags(), ID: e.id, Pack: x.packs[e.pack], Offset: e.offset, Length: e.length, RawLength: e.raw()}
}

// Lookup returns where the blob is stored. If several packs hold it, the
// newest entry wins.
func (x *Index) Lookup(typ uint8, id [32]byte) (Blob, bool) {
	return x.LookupFunc(typ, id, nil)
}

// LookupFunc returns the newest entry of the blob that accept (nil: any)
// accepts.
func (x *Index) LookupFunc(typ uint8, id [32]byte, accept func(pack [32]byte) bool) (Blob, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var found entry
	ok := false
	for i := len(x.segs) - 1; i >= 0 && !ok; i-- {
		x.segs[i].find(&id, typ, func(e entry) bool {
			if accept == nil || accept(x.packs[e.pack]) {
				found, ok = e, true
				return false
			}
			return true
		})
	}
	if !ok {
		return Blob{}, false
	}
	return x.blob(found), true
}

// Has reports whether the index holds the blob.
func (x *Index) Has(typ uint8, id [32]byte) bool {
	_, ok := x.Lookup(typ, id)
	return ok
}

// Each calls fn for every entry, duplicates included, segment by segment
// (each segment in id order). fn must not call into the Index.
func (x *Index) Each(fn func(Blob) error) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, s := range x.segs {
		if err := s.each(func(e *entry) error { return fn(x.blob(*e)) }); err != nil {
			return err
		}
	}
	return nil
}
