package chunker

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func randomData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var testKey = bytes.Repeat([]byte{7}, 32)

var testParams = Params{Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}

func lengths(cs [][]byte) []int {
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i] = len(c)
	}
	return out
}

func chunks(t testing.TB, c *Chunker) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		b, err := c.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(b))
	}
}

func TestChunkerReassemblesAndIsDeterministic(t *testing.T) {
	data := randomData(1, 3<<20)
	key := []byte("0123456789abcdef0123456789abcdef")
	c, err := New(bytes.NewReader(data), testParams, key)
	if err != nil {
		t.Fatal(err)
	}
	first := chunks(t, c)
	if got := bytes.Join(first, nil); !bytes.Equal(got, data) {
		t.Fatalf("chunks do not reassemble the input (got %d bytes, want %d)", len(got), len(data))
	}
	for i, ch := range first {
		if len(ch) > testParams.Max || (len(ch) < testParams.Min && i != len(first)-1) {
			t.Errorf("chunk %d has %d bytes, outside [%d, %d]", i, len(ch), testParams.Min, testParams.Max)
		}
	}
	c.Reset(bytes.NewReader(data))
	second := chunks(t, c)
	if diff := cmp.Diff(lengths(first), lengths(second)); diff != "" {
		t.Errorf("Reset then re-chunk differs (-first +second):\n%s", diff)
	}
}

func TestChunkerKeyChangesBoundaries(t *testing.T) {
	data := randomData(2, 2<<20)
	a, _ := New(bytes.NewReader(data), testParams, bytes.Repeat([]byte{1}, 32))
	b, _ := New(bytes.NewReader(data), testParams, bytes.Repeat([]byte{2}, 32))
	ca, cb := chunks(t, a), chunks(t, b)
	if len(ca) > 1 && cmp.Equal(lengths(ca), lengths(cb)) {
		t.Errorf("two keys cut the same %d chunks: the chunker ignores its key", len(ca))
	}
}

func TestChunkerEmptyAndShort(t *testing.T) {
	c, _ := New(bytes.NewReader(nil), testParams, testKey)
	if got := chunks(t, c); len(got) != 0 {
		t.Errorf("empty stream gave %d chunks, want 0", len(got))
	}
	c.Reset(bytes.NewReader([]byte("hello")))
	if diff := cmp.Diff([]string{"hello"}, strs(chunks(t, c))); diff != "" {
		t.Errorf("short stream (-want +got):\n%s", diff)
	}
}

func TestChunkerShiftResistance(t *testing.T) {
	data := randomData(3, 4<<20)
	key := testKey
	c, _ := New(bytes.NewReader(data), testParams, key)
	orig := chunks(t, c)
	shifted := append([]byte("inserted bytes at the front"), data...)
	c.Reset(bytes.NewReader(shifted))
	after := chunks(t, c)
	seen := map[string]bool{}
	for _, ch := range orig {
		seen[string(ch)] = true
	}
	same := 0
	for _, ch := range after {
		if seen[string(ch)] {
			same++
		}
	}
	if same < len(orig)-2 {
		t.Errorf("after a 27-byte insertion only %d of %d chunks are unchanged, want all but 2", same, len(orig))
	}
}

func TestChunkerRejectsShortKey(t *testing.T) {
	if _, err := New(bytes.NewReader(nil), testParams, []byte("short")); err == nil {
		t.Error("New with a 5-byte key succeeded, want an error")
	}
}

func TestParamsValidate(t *testing.T) {
	for _, p := range []Params{{Min: 0, Avg: 1024, Max: 4096}, {Min: 512, Avg: 1000, Max: 4096}, {Min: 2048, Avg: 1024, Max: 4096}, {Min: 512, Avg: 1024, Max: 1024}} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
	}
	if err := DefaultParams.Validate(); err != nil {
		t.Errorf("DefaultParams invalid: %v", err)
	}
}

func BenchmarkChunker(b *testing.B) {
	data := randomData(4, 64<<20)
	c, err := New(bytes.NewReader(data), DefaultParams, testKey)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c.Reset(bytes.NewReader(data))
		n := 0
		for {
			ch, err := c.Next()
			if err != nil {
				break
			}
			n += len(ch)
		}
		if n != len(data) {
			b.Fatalf("chunked %d bytes, want %d", n, len(data))
		}
	}
}

func strs(cs [][]byte) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}
