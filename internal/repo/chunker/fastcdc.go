package chunker

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc"
	"github.com/zeebo/blake3"
)

// gear is the cut-point search of go-cdc-chunkers' "fastcdc-v1.0.0"
// (normalised chunking, level 2), with the same keyed table and masks, so
// that it cuts exactly where the library does (TestCutsMatchLibrary,
// FuzzCutsMatchLibrary). It is ours for speed: the library hashes one
// chain, a byte at a time, whose shift-and-add latency bounds it at
// ~1.6 GB/s here; cut scans two halves of the window at once (2.2 GB/s).
type gear struct {
	table        [256]uint64
	maskS, maskL uint64
	p            Params
}

func newGear(p Params, key []byte) (*gear, error) {
	g := &gear{p: p}
	if err := g.deriveTable(key); err != nil {
		return nil, err
	}
	g.maskS, g.maskL = masks(p)
	return g, nil
}

// deriveTable keys the library's gear table: its 256 entries, little
// endian, through keyed BLAKE3, whose 2 KiB of output are the new table.
func (g *gear) deriveTable(key []byte) error {
	h, err := blake3.NewKeyed(key)
	if err != nil {
		return fmt.Errorf("chunker key: %w", err)
	}
	var buf [8]byte
	for _, v := range fastcdc.G {
		binary.LittleEndian.PutUint64(buf[:], v)
		_, _ = h.Write(buf[:])
	}
	var out [8 * 256]byte
	if _, err := h.Digest().Read(out[:]); err != nil {
		return fmt.Errorf("chunker table: %w", err)
	}
	for i := range g.table {
		g.table[i] = binary.LittleEndian.Uint64(out[i*8:])
	}
	return nil
}

// masks are the library's: log2(avg) ± 2 one bits spread evenly from the
// top of the word, or its fixed legacy pair for its default sizes.
func masks(p Params) (maskS, maskL uint64) {
	if p.Min == 2<<10 && p.Max == 64<<10 && p.Avg == 8<<10 {
		return 0x0003590703530000, 0x0000d90003530000
	}
	avgBits := bits.Len(uint(p.Avg)) - 1
	return spacedMask(avgBits + 2), spacedMask(avgBits - 2)
}

func spacedMask(ones int) uint64 {
	if ones >= 64 {
		return ^uint64(0)
	}
	if ones <= 0 {
		return 0
	}
	step := 64 / ones
	var m uint64
	for i := range ones {
		m |= 1 << (63 - i*step)
	}
	return m
}

// cut returns the length of the chunk at the start of data, which holds
// all that is left of the stream or at least Max bytes.
func (g *gear) cut(data []byte) int {
	n, minSize, normal := len(data), g.p.Min, g.p.Avg
	switch {
	case n <= minSize:
		return n
	case n >= g.p.Max:
		n = g.p.Max
	case n <= normal:
		normal = n
	}
	// The byte whose hash matches starts the next chunk (as in the library).
	at, fp := g.scan(data, minSize, normal, g.maskS, 0)
	if at >= 0 {
		return at
	}
	if at, _ = g.scan(data, normal, n, g.maskL, fp); at >= 0 {
		return at
	}
	return n
}

// warmup is how far back a chain starts: the hash at i depends on
// data[i-63..i] only (each byte's entry is shifted out after 64 steps).
const warmup = 64

// scan looks in data[lo:hi] for the first i where the hash of the bytes
// up to i has no bit of mask set; fp is the hash up to lo-1. It returns i
// (or -1) and the hash up to hi-1 when there is no match. The second half
// of the range is hashed by a second, independent chain started warmup
// bytes early, interleaved with the first: two dependency chains at once.
func (g *gear) scan(data []byte, lo, hi int, mask, fp uint64) (int, uint64) {
	t := &g.table
	if hi-lo < 4*warmup {
		for i := lo; i < hi; i++ {
			fp = (fp << 1) + t[data[i]]
			if fp&mask == 0 {
				return i, fp
			}
		}
		return -1, fp
	}
	mid := lo + (hi-lo)/2
	a := data[lo:mid]
	var fb uint64
	for _, x := range data[mid-warmup : mid] {
		fb = (fb << 1) + t[x]
	}
	b := data[mid:hi] // len(b) >= len(a)
	j := 0
	for ; j < len(a); j++ {
		fp = (fp << 1) + t[a[j]]
		fb = (fb << 1) + t[b[j]]
		if fp&mask == 0 {
			return lo + j, fp
		}
		if fb&mask == 0 {
			return g.finishFirst(a, j+1, lo, mask, fp, mid+j)
		}
	}
	for ; j < len(b); j++ {
		fb = (fb << 1) + t[b[j]]
		if fb&mask == 0 {
			return mid + j, fb
		}
	}
	return -1, fb
}

// finishFirst goes on with the first chain from a[j:] after the second
// matched at other: an earlier match of the first wins.
func (g *gear) finishFirst(a []byte, j, lo int, mask, fp uint64, other int) (int, uint64) {
	t := &g.table
	for ; j < len(a); j++ {
		fp = (fp << 1) + t[a[j]]
		if fp&mask == 0 {
			return lo + j, fp
		}
	}
	return other, 0
}
