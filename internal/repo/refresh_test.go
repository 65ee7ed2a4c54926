package repo_test

import (
	"context"
	"testing"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

func TestRefreshSeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	a, store := repotest.New(t)
	b := repotest.Reopen(t, store)
	id, _, err := a.SaveBlob(ctx, repo.DataBlob, []byte("written by another process"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if b.HasBlob(repo.DataBlob, id) {
		t.Fatal("b sees the blob before Refresh: the test proves nothing")
	}
	n, stale, err := b.Refresh(ctx)
	if err != nil || n != 1 || stale {
		t.Fatalf("Refresh = %d, %v, %v; want 1, false, nil", n, stale, err)
	}
	if !b.HasBlob(repo.DataBlob, id) {
		t.Error("b does not see the blob after Refresh")
	}
	if got, err := b.LoadBlob(ctx, repo.DataBlob, id, nil); err != nil || string(got) != "written by another process" {
		t.Errorf("LoadBlob = %q, %v", got, err)
	}
	if n, _, _ := b.Refresh(ctx); n != 0 {
		t.Errorf("second Refresh loaded %d objects, want 0", n)
	}
	if n, _, _ := a.Refresh(ctx); n != 0 {
		t.Errorf("the writer's Refresh loaded its own %d objects again", n)
	}
}
