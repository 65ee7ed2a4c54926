package index

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
)

// segment is an immutable sorted run of entries.
type segment interface {
	len() int
	// find calls fn for every entry with the key until fn returns false.
	find(id *[32]byte, typ uint8, fn func(entry) bool)
	// each calls fn for every entry in order.
	each(fn func(*entry) error) error
	close() error
}

// memSegment keeps its entries in one slice, plus a fan-out table from the
// leading bits of an id to the range of entries that start with them, so a
// lookup touches a handful of neighbouring entries instead of ~log2(n)
// scattered cache lines.
type memSegment struct {
	es    []entry
	fan   []uint32 // fan[b] = first entry whose id prefix is >= b; len 2^bits+1
	shift uint     // 32 - bits
}

func newMemSegment(es []entry) *memSegment {
	s := &memSegment{es: es}
	bits := 0
	for bits < 16 && (len(es)>>bits) > 8 {
		bits++
	}
	s.shift = uint(32 - bits)
	s.fan = make([]uint32, (1<<bits)+1)
	b := 0
	for i := range es {
		p := int(prefix(&es[i].id) >> s.shift)
		for b <= p {
			s.fan[b] = uint32(i)
			b++
		}
	}
	for ; b < len(s.fan); b++ {
		s.fan[b] = uint32(len(es))
	}
	return s
}

func prefix(id *[32]byte) uint32 { return binary.BigEndian.Uint32(id[:4]) }

func (s *memSegment) len() int     { return len(s.es) }
func (s *memSegment) close() error { return nil }

func (s *memSegment) find(id *[32]byte, typ uint8, fn func(entry) bool) {
	p := prefix(id) >> s.shift
	lo, hi := int(s.fan[p]), int(s.fan[p+1])
	for lo < hi { // lower bound
		m := int(uint(lo+hi) >> 1)
		if compareKey(id, typ, &s.es[m]) > 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	for i := lo; i < len(s.es) && compareKey(id, typ, &s.es[i]) == 0; i++ {
		if !fn(s.es[i]) {
			return
		}
	}
}

func (s *memSegment) each(fn func(*entry) error) error {
	for i := range s.es {
		if err := fn(&s.es[i]); err != nil {
			return err
		}
	}
	return nil
}

// fileSegment keeps its entries in a file and, in memory, the first id of
// every block of blockEntries entries. A lookup reads one block (12 KiB):
// the operating system's page cache is the cache.
type fileSegment struct {
	f      *os.File
	n      int
	firsts [][32]byte
	pool   *sync.Pool // *[]byte of blockEntries*entrySize
}

const blockEntries = 256

func encodeEntry(b []byte, e *entry) {
	copy(b[:32], e.id[:])
	binary.LittleEndian.PutUint32(b[32:], e.pack)
	binary.LittleEndian.PutUint32(b[36:], e.offset)
	binary.LittleEndian.PutUint32(b[40:], e.length)
	binary.LittleEndian.PutUint32(b[44:], e.meta)
}

func decodeEntry(b []byte) entry {
	var e entry
	copy(e.id[:], b[:32])
	e.pack = binary.LittleEndian.Uint32(b[32:])
	e.offset = binary.LittleEndian.Uint32(b[36:])
	e.length = binary.LittleEndian.Uint32(b[40:])
	e.meta = binary.LittleEndian.Uint32(b[44:])
	return e
}

// spill writes a sorted run to a new file in dir. next yields the entries
// in order and false at the end.
func spill(dir string, n int, next func() (entry, bool)) (_ *fileSegment, err error) {
	f, err := os.CreateTemp(dir, "index-*.seg")
	if err != nil {
		return nil, fmt.Errorf("create index segment: %w", err)
	}
	// The file is private scratch: unlink it at once so it never outlives
	// the process, even after a crash.
	_ = os.Remove(f.Name())
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	s := &fileSegment{f: f, n: n, firsts: make([][32]byte, 0, n/blockEntries+1)}
	var buf [entrySize]byte
	for i := 0; i < n; i++ {
		e, ok := next()
		if !ok {
			return nil, errors.New("spill: run shorter than announced")
		}
		if i%blockEntries == 0 {
			s.firsts = append(s.firsts, e.id)
		}
		encodeEntry(buf[:], &e)
		if _, err := w.Write(buf[:]); err != nil {
			return nil, fmt.Errorf("write index segment: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("write index segment: %w", err)
	}
	s.pool = &sync.Pool{New: func() any { b := make([]byte, blockEntries*entrySize); return &b }}
	return s, nil
}

func (s *fileSegment) len() int     { return s.n }
func (s *fileSegment) close() error { return s.f.Close() }

func (s *fileSegment) find(id *[32]byte, typ uint8, fn func(entry) bool) {
	// Start at the last block whose first id is < id (equal ids may
	// straddle a block boundary) and scan forward while entries are <= key.
	b, _ := slices.BinarySearchFunc(s.firsts, *id, func(f, t [32]byte) int {
		if c := bytes.Compare(f[:], t[:]); c != 0 {
			return c
		}
		return 1
	})
	bp := s.pool.Get().(*[]byte)
	defer s.pool.Put(bp)
	for blk := max(b-1, 0); blk < len(s.firsts); blk++ {
		if blk > b-1 && blk > 0 && bytes.Compare(s.firsts[blk][:], id[:]) > 0 {
			return
		}
		cnt := min(blockEntries, s.n-blk*blockEntries)
		buf := (*bp)[:cnt*entrySize]
		if _, err := s.f.ReadAt(buf, int64(blk)*blockEntries*entrySize); err != nil && !errors.Is(err, io.EOF) {
			return
		}
		for i := 0; i < cnt; i++ {
			e := decodeEntry(buf[i*entrySize:])
			c := compareKey(id, typ, &e)
			if c < 0 {
				return
			}
			if c == 0 && !fn(e) {
				return
			}
		}
	}
}

func (s *fileSegment) each(fn func(*entry) error) error {
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, 0, int64(s.n)*entrySize), 1<<20)
	var buf [entrySize]byte
	for i := 0; i < s.n; i++ {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return fmt.Errorf("read index segment: %w", err)
		}
		e := decodeEntry(buf[:])
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}
