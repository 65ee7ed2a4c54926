package repo_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

func randomBlob(seed uint64, n int) []byte {
	rnd := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// Superseded index objects are deleted by sweeps in any order; an object
// must stay hidden even when the object that first superseded it is gone.
func TestRewriteIndexWithoutChain(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.NewWith(t, repo.InitOptions{Compression: repo.CompressionOff, Open: repo.OpenOptions{Packers: 1, PackSize: 1 << 20}})
	var ids []repo.ID
	for i := range 3 {
		id, _, err := r.SaveBlob(ctx, repo.DataBlob, randomBlob(uint64(i), 700<<10))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	packOf := func(id repo.ID) repo.ID {
		pb, ok := r.LookupBlob(repo.DataBlob, id)
		if !ok {
			t.Fatalf("blob %s not indexed", id.Short())
		}
		return pb.Pack
	}
	p1, p2 := packOf(ids[0]), packOf(ids[2])
	if p1 == p2 {
		t.Fatal("fixture: want two packs")
	}
	replaced1, stale1, err := r.RewriteIndexWithout(ctx, map[repo.ID]bool{p1: true})
	if err != nil || len(replaced1) != 1 || len(stale1) != 0 {
		t.Fatalf("first rewrite: replaced %v stale %v err %v; want one replaced", replaced1, stale1, err)
	}
	replaced2, stale2, err := r.RewriteIndexWithout(ctx, map[repo.ID]bool{p2: true})
	if err != nil || len(replaced2) != 1 || len(stale2) != 1 || stale2[0] != replaced1[0] {
		t.Fatalf("second rewrite: replaced %v stale %v err %v; want the first rewrite's object replaced and the original stale", replaced2, stale2, err)
	}
	// Sweep out of order: the second marker's object first.
	if err := r.DeleteIndexObjects(ctx, replaced2); err != nil {
		t.Fatal(err)
	}
	fresh := repotest.Reopen(t, store)
	for _, id := range ids {
		if _, ok := fresh.LookupBlob(repo.DataBlob, id); ok {
			t.Errorf("blob %s of a hidden pack is visible again", id.Short())
		}
	}
}
