package repo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

// countingStore counts the reads of packs.
type countingStore struct {
	*mem.Store
	packGets atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if strings.HasPrefix(name, "data/") {
		s.packGets.Add(1)
	}
	return s.Store.Get(ctx, name, offset, length)
}

// treeRepo returns a repository on a counting store holding n flushed
// tree blobs (several packs of 64 KiB) and one data blob.
func treeRepo(t *testing.T, n int) (*repo.Repository, *countingStore, []saved, saved) {
	t.Helper()
	ctx := context.Background()
	store := &countingStore{Store: mem.New()}
	r, err := repo.Init(ctx, store, "pw", repo.InitOptions{KDF: repotest.FastKDF, Chunker: repotest.SmallChunks,
		Open: repo.OpenOptions{PackSize: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	var trees []saved
	for i := range n {
		data := textBytes(uint64(i), 2000+i*37)
		id, _, err := r.SaveBlob(ctx, repo.TreeBlob, data)
		if err != nil {
			t.Fatal(err)
		}
		trees = append(trees, saved{repo.TreeBlob, id, data})
	}
	data := randBytes(1, 5000)
	id, _, err := r.SaveBlob(ctx, repo.DataBlob, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return r, store, trees, saved{repo.DataBlob, id, data}
}

func treePacks(r *repo.Repository, trees []saved) map[repo.ID]bool {
	packs := map[repo.ID]bool{}
	for _, b := range trees {
		pb, _ := r.LookupBlob(b.t, b.id)
		packs[pb.Pack] = true
	}
	return packs
}

func TestTreePackCacheReadsEachPackOnceAndServesTheRightBytes(t *testing.T) {
	ctx := context.Background()
	r, store, trees, data := treeRepo(t, 120)
	packs := treePacks(r, trees)
	if len(packs) < 2 {
		t.Fatalf("the trees are in %d pack(s), want several", len(packs))
	}
	load := func(b saved) {
		t.Helper()
		got, err := r.LoadBlob(ctx, b.t, b.id, nil)
		if err != nil {
			t.Fatalf("load %s: %v", b.id.Short(), err)
		}
		if diff := cmp.Diff(b.data, got); diff != "" {
			t.Fatalf("load %s: wrong bytes", b.id.Short())
		}
	}
	reads := func() int64 { return store.packGets.Swap(0) }

	release := r.CacheTreePacks()
	for range 2 {
		for _, b := range trees {
			load(b)
		}
	}
	if got := reads(); got != int64(len(packs)) {
		t.Errorf("pack reads for 2×%d trees with the cache = %d, want one per pack (%d)", len(trees), got, len(packs))
	}
	load(data)
	load(data)
	if got := reads(); got != 2 {
		t.Errorf("pack reads for 2 loads of a data blob with the cache = %d, want 2 (data blobs are not cached)", got)
	}

	inner := r.CacheTreePacks() // nested holder
	release()
	load(trees[0])
	if got := reads(); got != 0 {
		t.Errorf("pack reads while a second holder keeps the cache = %d, want 0", got)
	}
	inner()
	inner() // releasing twice is harmless
	load(trees[0])
	load(trees[0])
	if got := reads(); got != 2 {
		t.Errorf("pack reads for 2 loads after release = %d, want 2 (ranged reads)", got)
	}
}

func TestTreePackCacheConcurrentLoads(t *testing.T) {
	ctx := context.Background()
	r, store, trees, _ := treeRepo(t, 60)
	defer r.CacheTreePacks()()
	store.packGets.Store(0)
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(trees))
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range trees {
				b := trees[(i+w*7)%len(trees)]
				got, err := r.LoadBlob(ctx, b.t, b.id, nil)
				if err == nil && string(got) != string(b.data) {
					err = fmt.Errorf("tree %s: wrong bytes", b.id.Short())
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := store.packGets.Load(), int64(len(treePacks(r, trees))); got != want {
		t.Errorf("pack reads by 8 concurrent walkers = %d, want one per pack (%d)", got, want)
	}
}

func TestTreePackCacheDamageIsAnError(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		damage func(d []byte, at repo.PackedBlob) []byte
	}{
		{"flipped byte in the blob", func(d []byte, at repo.PackedBlob) []byte { d[at.Offset+at.Length/2] ^= 0x10; return d }},
		{"flipped last byte of the blob", func(d []byte, at repo.PackedBlob) []byte { d[at.Offset+at.Length-1] ^= 1; return d }},
		{"pack cut inside the blob", func(d []byte, at repo.PackedBlob) []byte { return d[:at.Offset+at.Length/2] }},
		{"pack cut before the blob", func(d []byte, at repo.PackedBlob) []byte { return d[:at.Offset] }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, store, trees, _ := treeRepo(t, 40)
			victim := trees[len(trees)/2]
			at, _ := r.LookupBlob(victim.t, victim.id)
			name := "data/" + at.Pack.String()[:2] + "/" + at.Pack.String()
			rewrite(t, store.Store, name, func(d []byte) []byte { return c.damage(d, at) })
			defer r.CacheTreePacks()()
			for range 2 { // the second load comes from the cache
				got, err := r.LoadBlob(ctx, victim.t, victim.id, nil)
				if !errors.Is(err, repo.ErrIntegrity) {
					t.Fatalf("LoadBlob of the damaged tree = %d bytes, %v; want ErrIntegrity", len(got), err)
				}
			}
			for _, b := range trees {
				pb, _ := r.LookupBlob(b.t, b.id)
				if pb.Pack != at.Pack || pb.Offset >= at.Offset {
					continue
				}
				got, err := r.LoadBlob(ctx, b.t, b.id, nil)
				if err != nil || string(got) != string(b.data) {
					t.Errorf("intact tree %s before the damage in the same pack: %d bytes, %v", b.id.Short(), len(got), err)
				}
			}
		})
	}
}
