package chunker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	cdc "github.com/PlakarKorp/go-cdc-chunkers"
	_ "github.com/PlakarKorp/go-cdc-chunkers/chunkers/fastcdc" // the reference: registers "fastcdc-v1.0.0"
	"github.com/google/go-cmp/cmp"
)

// libLengths chunks data with go-cdc-chunkers, the reference.
func libLengths(t testing.TB, data []byte, p Params, key []byte) []int {
	t.Helper()
	c, err := cdc.NewChunker(Algorithm, bytes.NewReader(data), &cdc.ChunkerOpts{MinSize: p.Min, NormalSize: p.Avg, MaxSize: p.Max, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	out := []int{}
	for {
		b, err := c.Next()
		if len(b) > 0 {
			out = append(out, len(b))
		}
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// ourLengths chunks what rd yields with this package.
func ourLengths(t testing.TB, rd io.Reader, p Params, key []byte) []int {
	t.Helper()
	c, err := New(rd, p, key)
	if err != nil {
		t.Fatal(err)
	}
	return lengths(chunks(t, c))
}

// fastRandom returns n random bytes from seed (ChaCha8: fast under the
// race detector too).
func fastRandom(seed uint64, n int) []byte {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

// shortReader returns at most a random 1..max bytes per Read, so that the
// chunker's buffer is refilled and compacted at every offset.
type shortReader struct {
	data []byte
	rng  *rand.Rand
	max  int
}

func (s *shortReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(s.data), 1+s.rng.IntN(s.max))
	copy(p, s.data[:n])
	s.data = s.data[n:]
	return n, nil
}

// TestCutsMatchLibrary: this package cuts exactly where go-cdc-chunkers'
// fastcdc-v1.0.0 does, for the repository defaults, the sizes of older
// repositories, the library's own defaults (fixed masks), odd sizes, keys,
// data lengths around every size, data without any cut point (zeros) and
// a reader returning short reads.
func TestCutsMatchLibrary(t *testing.T) {
	t.Parallel()
	params := []Params{
		DefaultParams,
		{Min: 256 << 10, Avg: 1 << 20, Max: 4 << 20},
		testParams,
		{Min: 2 << 10, Avg: 8 << 10, Max: 64 << 10},
		{Min: 1000, Avg: 4096, Max: 10007},
		{Min: 64, Avg: 1024, Max: 1100},
	}
	keys := [][]byte{testKey, bytes.Repeat([]byte{0xa5}, 32), []byte("0123456789abcdef0123456789abcdef")}
	for pi, p := range params {
		for ki, key := range keys {
			rng := rand.New(rand.NewPCG(uint64(pi), uint64(ki)))
			sizes := []int{0, 1, p.Min - 1, p.Min, p.Min + 1, p.Avg, p.Max - 1, p.Max, p.Max + 1}
			if ki == 0 { // (the race detector makes every byte hashed count)
				sizes = append(sizes, 3*p.Max+17, min(8<<20, 40*p.Max)) // many chunks
			}
			for _, n := range sizes {
				data := fastRandom(rng.Uint64(), n)
				want := libLengths(t, data, p, key)
				if diff := cmp.Diff(want, ourLengths(t, bytes.NewReader(data), p, key)); diff != "" {
					t.Fatalf("params %+v key %d, %d random bytes: chunk lengths (-library +ours):\n%s", p, ki, n, diff)
				}
			}
			zeros := make([]byte, 2*p.Max+5)
			if diff := cmp.Diff(libLengths(t, zeros, p, key), ourLengths(t, bytes.NewReader(zeros), p, key)); diff != "" {
				t.Fatalf("params %+v key %d, zeros: (-library +ours):\n%s", p, ki, diff)
			}
			data := fastRandom(rng.Uint64(), min(4<<20, 8*p.Max)+3)
			short := &shortReader{data: data, rng: rng, max: p.Max / 3}
			if diff := cmp.Diff(libLengths(t, data, p, key), ourLengths(t, short, p, key)); diff != "" {
				t.Fatalf("params %+v key %d, short reads: (-library +ours):\n%s", p, ki, diff)
			}
		}
	}
}

// FuzzCutsMatchLibrary: any data, small sizes, the same cuts as the
// library.
func FuzzCutsMatchLibrary(f *testing.F) {
	f.Add([]byte("hello"), uint8(0))
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3, 255}, 400), uint8(3))
	f.Add(randomData(9, 20000), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		p := Params{Min: 256, Avg: 1024, Max: 4096}
		key := bytes.Repeat([]byte{k}, 32)
		if diff := cmp.Diff(libLengths(t, data, p, key), ourLengths(t, bytes.NewReader(data), p, key)); diff != "" {
			t.Fatalf("(-library +ours):\n%s", diff)
		}
	})
}

// BenchmarkLibrary is the reference's speed, beside BenchmarkChunker.
func BenchmarkLibrary(b *testing.B) {
	data := randomData(4, 64<<20)
	p := DefaultParams
	c, err := cdc.NewChunker(Algorithm, bytes.NewReader(data), &cdc.ChunkerOpts{MinSize: p.Min, NormalSize: p.Avg, MaxSize: p.Max, Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c.Reset(bytes.NewReader(data))
		for {
			if _, err := c.Next(); err != nil {
				break
			}
		}
	}
}
