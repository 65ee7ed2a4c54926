package repo_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

// deferringStore is a mem store with the blob.Deferrer capability that
// records which deferred objects were synced when each object was Put.
type deferringStore struct {
	*mem.Store
	mu       sync.Mutex
	unsynced map[string]bool
	deferred int
	bad      []string // Puts made while a deferred object was unsynced
}

func (d *deferringStore) PutDeferred(ctx context.Context, name string, data []byte) error {
	if err := d.Store.Put(ctx, name, data); err != nil {
		return err
	}
	d.mu.Lock()
	d.unsynced[name] = true
	d.deferred++
	d.mu.Unlock()
	return nil
}

func (d *deferringStore) Sync(context.Context) error {
	d.mu.Lock()
	clear(d.unsynced)
	d.mu.Unlock()
	return nil
}

func (d *deferringStore) Put(ctx context.Context, name string, data []byte) error {
	d.mu.Lock()
	if len(d.unsynced) > 0 && !strings.HasPrefix(name, "data/") {
		d.bad = append(d.bad, name)
	}
	d.mu.Unlock()
	return d.Store.Put(ctx, name, data)
}

// TestPacksDurableBeforeIndexAndSnapshot holds the write-behind rule: packs
// go out with PutDeferred, and no index or snapshot object (which could
// name them) is written while one of them is not yet synced.
func TestPacksDurableBeforeIndexAndSnapshot(t *testing.T) {
	ctx := context.Background()
	store := &deferringStore{Store: mem.New(), unsynced: map[string]bool{}}
	r, err := repo.Init(ctx, store, "pw", repo.InitOptions{KDF: repotest.FastKDF, Chunker: repotest.SmallChunks,
		Open: repo.OpenOptions{PackSize: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	saved := saveSome(t, r, 40, 7)
	tree, _, err := r.SaveBlob(ctx, repo.TreeBlob, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SaveSnapshot(ctx, &repo.Snapshot{Tree: tree}); err != nil {
		t.Fatal(err)
	}
	checkLoad(t, r, saved)
	if store.deferred < 2 {
		t.Errorf("%d packs written with PutDeferred, want several", store.deferred)
	}
	if len(store.bad) > 0 {
		t.Errorf("objects written while packs were not yet synced: %v", store.bad)
	}
	n := 0
	_ = store.List(ctx, "index/", func(blob.Info) error { n++; return nil })
	if n == 0 {
		t.Error("no index object written")
	}
}
