package index

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func randBlobs(r *rand.Rand, pack byte, n int) []Blob {
	out := make([]Blob, n)
	for i := range out {
		var id [32]byte
		binary.LittleEndian.PutUint64(id[:], r.Uint64())
		binary.LittleEndian.PutUint64(id[8:], r.Uint64())
		out[i] = Blob{Type: uint8(1 + r.IntN(2)), Flags: uint8(r.IntN(2)), ID: id, Pack: [32]byte{pack}, Offset: r.Uint32(), Length: 1 + r.Uint32()%1000, RawLength: r.Uint32() & rawMask}
	}
	return out
}

func TestEntryIs48Bytes(t *testing.T) {
	if got := unsafe.Sizeof(entry{}); got != entrySize {
		t.Errorf("entry has %d bytes, want %d", got, entrySize)
	}
}

func testIndex(t *testing.T, opts Options) {
	r := rand.New(rand.NewPCG(1, 2))
	x := New(opts)
	defer x.Close()
	var all []Blob
	for p := 0; p < 40; p++ {
		b := randBlobs(r, byte(p), 1+r.IntN(300))
		if err := x.Add(b); err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if x.Len() != len(all) || x.Packs() != 40 {
		t.Fatalf("Len %d Packs %d, want %d and 40", x.Len(), x.Packs(), len(all))
	}
	for _, b := range all {
		got, ok := x.Lookup(b.Type, b.ID)
		if !ok {
			t.Fatalf("blob %x not found", b.ID[:4])
		}
		if diff := cmp.Diff(b, got); diff != "" {
			t.Fatalf("Lookup (-want +got):\n%s", diff)
		}
		if x.Has(3-b.Type, b.ID) {
			t.Fatalf("blob %x found under the other type", b.ID[:4])
		}
	}
	if x.Has(1, [32]byte{0xff, 1}) {
		t.Error("Has(random id) = true")
	}
	n := 0
	if err := x.Each(func(Blob) error { n++; return nil }); err != nil || n != len(all) {
		t.Errorf("Each visited %d (err %v), want %d", n, err, len(all))
	}
	if len(x.segs) > 8 {
		t.Errorf("%d segments after 40 adds; compaction is not working", len(x.segs))
	}
}

func TestIndexMemory(t *testing.T) { testIndex(t, Options{}) }

func TestIndexSpilled(t *testing.T) {
	testIndex(t, Options{SpillDir: t.TempDir(), SpillEntries: 100})
}

func TestSpilledSameIDBothTypesAcrossBlocks(t *testing.T) {
	// 2*blockEntries entries with ids such that one id has both types and
	// sits at a block boundary.
	var blobs []Blob
	for i := 0; i < 2*blockEntries; i++ {
		var id [32]byte
		binary.BigEndian.PutUint32(id[:], uint32(i))
		blobs = append(blobs, Blob{Type: 1, ID: id, Length: 1})
	}
	var edge [32]byte
	binary.BigEndian.PutUint32(edge[:], uint32(blockEntries-1))
	blobs = append(blobs, Blob{Type: 2, ID: edge, Length: 2})
	x := New(Options{SpillDir: t.TempDir(), SpillEntries: 1})
	defer x.Close()
	if err := x.Add(blobs); err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		if got, ok := x.Lookup(b.Type, b.ID); !ok || got.Length != b.Length {
			t.Errorf("Lookup(%d, %x) = %v, %v", b.Type, b.ID[:4], got, ok)
		}
	}
}

func TestObjectRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	o := &Object{Supersedes: [][32]byte{{1}, {2}}, Packs: []PackEntries{{ID: [32]byte{7}, Blobs: randBlobs(r, 7, 5)}, {ID: [32]byte{8}, Blobs: randBlobs(r, 8, 2)}}}
	got, err := DecodeObject(o.Encode(nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if n := len(got.Blobs()); n != 7 {
		t.Errorf("Blobs() has %d, want 7", n)
	}
	enc := o.Encode(nil)
	for _, bad := range [][]byte{nil, enc[:len(enc)-1], append(enc, 0), append([]byte("XIDX"), enc[4:]...)} {
		if _, err := DecodeObject(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("DecodeObject(%d bytes) = %v, want ErrFormat", len(bad), err)
		}
	}
}

func FuzzDecodeObject(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	f.Add((&Object{Packs: []PackEntries{{ID: [32]byte{1}, Blobs: randBlobs(r, 1, 3)}}}).Encode(nil))
	f.Add((&Object{Supersedes: [][32]byte{{9}}}).Encode(nil))
	f.Add([]byte("AIDX\x01\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeObject(b)
		if err != nil {
			return
		}
		again, err := DecodeObject(o.Encode(nil))
		if err != nil {
			t.Fatalf("re-encoded object does not decode: %v", err)
		}
		if diff := cmp.Diff(o, again); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}

// BenchmarkIndexMemory reports bytes per blob of a 1M-entry index.
func BenchmarkIndexLookup(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x := New(Options{})
	var all []Blob
	for p := 0; p < 100; p++ {
		bl := randBlobs(r, byte(p), 10000)
		_ = x.Add(bl)
		all = append(all, bl...)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bl := all[i%len(all)]
		if !x.Has(bl.Type, bl.ID) {
			b.Fatal("missing")
		}
	}
}

// BenchmarkIndexMemoryPerMillion reports the heap bytes a 1,000,000-entry
// index holds, in memory and spilled.
func BenchmarkIndexMemoryPerMillion(b *testing.B) {
	for _, spill := range []bool{false, true} {
		name := "memory"
		if spill {
			name = "spilled"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				opts := Options{}
				if spill {
					opts.SpillDir = b.TempDir()
				}
				r := rand.New(rand.NewPCG(1, 1))
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				x := New(opts)
				for p := 0; p < 1000; p++ {
					if err := x.Add(randBlobs(r, byte(p), 1000)); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "MB/1M-blobs")
				runtime.KeepAlive(x)
				x.Close()
			}
		})
	}
}

func BenchmarkIndexLookupMiss(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x := New(Options{})
	for p := 0; p < 100; p++ {
		_ = x.Add(randBlobs(r, byte(p), 10000))
	}
	b.Logf("%d segments", len(x.segs))
	miss := randBlobs(r, 0, 1024)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if x.Has(1, miss[i%1024].ID) {
			b.Fatal("found")
		}
	}
}

func TestLookupFuncSeesEveryCopy(t *testing.T) {
	for _, opts := range []Options{{}, {SpillDir: t.TempDir(), SpillEntries: 1}} {
		x := New(opts)
		id := [32]byte{5}
		var filler []Blob
		r := rand.New(rand.NewPCG(8, 8))
		filler = randBlobs(r, 9, 600)
		// Three copies of one blob in three packs, two of them in one segment.
		if err := x.Add(append(filler, Blob{Type: 1, ID: id, Pack: [32]byte{1}, Length: 1}, Blob{Type: 1, ID: id, Pack: [32]byte{2}, Length: 2})); err != nil {
			t.Fatal(err)
		}
		if err := x.Add([]Blob{{Type: 1, ID: id, Pack: [32]byte{3}, Length: 3}}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []byte{1, 2, 3} {
			got, ok := x.LookupFunc(1, id, func(p [32]byte) bool { return p[0] == want })
			if !ok || got.Pack[0] != want {
				t.Errorf("spill %q: copy in pack %d not found (got %v, %v)", opts.SpillDir, want, got.Pack[0], ok)
			}
		}
		if _, ok := x.LookupFunc(1, id, func([32]byte) bool { return false }); ok {
			t.Error("LookupFunc accepted what accept refused")
		}
		x.Close()
	}
}

// TestReplaceRebuildsPackTable: after Replace, only the packs its blobs
// name are known, and every entry still finds its own pack.
func TestReplaceRebuildsPackTable(t *testing.T) {
	for _, opts := range []Options{{}, {SpillDir: t.TempDir(), SpillEntries: 8}} {
		r := rand.New(rand.NewPCG(3, 4))
		x := New(opts)
		for p := byte(0); p < 5; p++ {
			if err := x.Add(randBlobs(r, p, 20)); err != nil {
				t.Fatal(err)
			}
		}
		kept := append(randBlobs(r, 7, 10), randBlobs(r, 3, 10)...)
		if err := x.Replace(kept); err != nil {
			t.Fatal(err)
		}
		got := map[byte]bool{}
		for p := byte(0); p < 8; p++ {
			if x.HasPack([32]byte{p}) {
				got[p] = true
			}
		}
		if diff := cmp.Diff(map[byte]bool{3: true, 7: true}, got); diff != "" {
			t.Errorf("packs known after Replace (-want +got):\n%s", diff)
		}
		if x.Packs() != 2 || x.Len() != len(kept) {
			t.Errorf("Packs %d Len %d, want 2 and %d", x.Packs(), x.Len(), len(kept))
		}
		for _, b := range kept {
			if l, ok := x.Lookup(b.Type, b.ID); !ok || l != b {
				t.Fatalf("Lookup(%x) = %v, %v; want %v", b.ID[:4], l, ok, b)
			}
		}
		// A refused Replace changes nothing.
		bad := []Blob{{Type: 9, Pack: [32]byte{9}}}
		if err := x.Replace(bad); err == nil {
			t.Error("Replace with a bad entry succeeded")
		}
		if x.HasPack([32]byte{9}) || !x.HasPack([32]byte{7}) || x.Len() != len(kept) {
			t.Error("a refused Replace changed the index")
		}
		x.Close()
	}
}
