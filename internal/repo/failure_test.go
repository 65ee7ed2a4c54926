package repo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

// failingPacks fails every pack upload once armed.
type failingPacks struct {
	*mem.Store
	armed bool
}

var errInjected = errors.New("injected storage failure")

func (f *failingPacks) Put(ctx context.Context, name string, data []byte) error {
	if f.armed && strings.HasPrefix(name, "data/") {
		return errInjected
	}
	return f.Store.Put(ctx, name, data)
}

func TestUploadFailureIsStickyAndBlocksSnapshots(t *testing.T) {
	ctx := context.Background()
	store := &failingPacks{Store: mem.New()}
	r, err := repo.Init(ctx, store, "pw", repo.InitOptions{KDF: repotest.FastKDF, Chunker: repotest.SmallChunks})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	store.armed = true
	tree, _, err := r.SaveBlob(ctx, repo.TreeBlob, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(ctx); !errors.Is(err, errInjected) {
		t.Errorf("Flush = %v, want the injected failure", err)
	}
	if _, err := r.SaveSnapshot(ctx, &repo.Snapshot{Tree: tree}); err == nil {
		t.Error("SaveSnapshot succeeded after a failed upload")
	}
	if _, _, err := r.SaveBlob(ctx, repo.DataBlob, []byte("more")); !errors.Is(err, errInjected) {
		t.Errorf("SaveBlob after a failed upload = %v, want the sticky failure", err)
	}
	n := 0
	_ = store.List(ctx, "snapshots/", func(blob.Info) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d snapshots stored after a failed upload, want 0", n)
	}
}

func TestDamagedConfigIsAnIntegrityError(t *testing.T) {
	ctx := context.Background()
	_, store := repotest.New(t)
	rewrite(t, store, "config", func(d []byte) []byte { d[len(d)/2] ^= 1; return d })
	if _, err := repo.Open(ctx, store, repotest.Password, repo.OpenOptions{}); !errors.Is(err, repo.ErrIntegrity) {
		t.Errorf("Open with a damaged config = %v, want ErrIntegrity", err)
	}
}

// clock is a manual clock for OpenOptions.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestIndexWrittenWithoutFlushAfterInterval(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r, store := repotest.NewWith(t, repo.InitOptions{Now: clk.now, Open: repo.OpenOptions{PackSize: 4096, Now: clk.now}})
	countIndex := func() int {
		n := 0
		_ = store.List(ctx, "index/", func(blob.Info) error { n++; return nil })
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; countIndex() == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatal("no index object written within 20 s of saving blobs past the interval")
		}
		clk.t = clk.t.Add(time.Minute)
		if _, _, err := r.SaveBlob(ctx, repo.DataBlob, randBytes(uint64(i), 5000)); err != nil {
			t.Fatal(err)
		}
	}
}
