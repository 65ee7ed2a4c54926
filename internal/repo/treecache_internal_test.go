package repo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob/mem"
)

// readCounter counts the reads of each pack.
type readCounter struct {
	*mem.Store
	reads map[string]int
}

func (s *readCounter) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if strings.HasPrefix(name, dataPrefix) {
		s.reads[name[strings.LastIndexByte(name, '/')+1:][:8]]++
	}
	return s.Store.Get(ctx, name, offset, length)
}

func TestTreePackCacheEvictsTheLeastRecentlyUsedPack(t *testing.T) {
	ctx := context.Background()
	store := &readCounter{Store: mem.New(), reads: map[string]int{}}
	r, err := Init(ctx, store, "pw", InitOptions{KDF: KDFParams{Time: 1, Memory: 64, Threads: 1},
		Open: OpenOptions{PackSize: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Three packs of incompressible trees, each flushed on its own.
	rng := rand.New(rand.NewPCG(1, 2))
	var firsts []ID // a tree of each pack
	for p := range 3 {
		for i := range 8 {
			data := make([]byte, 10<<10)
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			id, _, err := r.SaveBlob(ctx, TreeBlob, data)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				firsts = append(firsts, id)
			}
		}
		if err := r.Flush(ctx); err != nil {
			t.Fatalf("flush pack %d: %v", p, err)
		}
	}
	packOf := func(id ID) string {
		b, ok := r.LookupBlob(TreeBlob, id)
		if !ok {
			t.Fatalf("tree %s not in the index", id.Short())
		}
		return b.Pack.String()[:8]
	}
	a, b, c := packOf(firsts[0]), packOf(firsts[1]), packOf(firsts[2])
	if a == b || b == c || a == c {
		t.Fatalf("the trees share packs: %s %s %s", a, b, c)
	}
	r.treePacks.limit = 100 << 10 // room for one pack of ~80 KiB, not two
	defer r.CacheTreePacks()()
	clear(store.reads)
	for _, id := range []ID{firsts[0], firsts[0], firsts[1], firsts[1], firsts[0], firsts[2], firsts[0]} {
		if _, err := r.LoadBlob(ctx, TreeBlob, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	// a read, served; b read (a evicted), served; a read again (b evicted);
	// c read (a evicted); a read a third time.
	got := fmt.Sprint(store.reads[a], store.reads[b], store.reads[c])
	if got != "3 1 1" {
		t.Errorf("reads of packs a b c = %s, want 3 1 1", got)
	}
}
