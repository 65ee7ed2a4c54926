package archiver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/repo/tree"
)

func newRepo(tb testing.TB) *repo.Repository {
	tb.Helper()
	store, err := local.New(filepath.Join(tb.TempDir(), "repo"))
	if err != nil {
		tb.Fatal(err)
	}
	r, err := repo.Init(context.Background(), store, "pw", repo.InitOptions{KDF: repo.KDFParams{Time: 1, Memory: 8 << 10, Threads: 1}})
	if err != nil && strings.Contains(err.Error(), "not implemented") {
		tb.Skipf("SKIPPING: the repository engine is not implemented yet: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// BenchmarkArchiveNoChange measures a backup of an unchanged tree against
// its parent: walk, stat and tree work only.
func BenchmarkArchiveNoChange(b *testing.B) {
	src := b.TempDir()
	files, _ := archivertest.MakeBenchTree(b, src, 10000, 0, 0)
	r := newRepo(b)
	a := archiver.New(r, archiver.Options{})
	first, err := a.Snapshot(context.Background(), []string{src}, archiver.SnapshotOptions{NoScan: true})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := a.Snapshot(context.Background(), []string{src}, archiver.SnapshotOptions{NoScan: true, Parent: &first.ID})
		if err != nil {
			b.Fatal(err)
		}
		if res.Snapshot.Stats.BytesRead != 0 {
			b.Fatalf("read %d bytes of an unchanged tree", res.Snapshot.Stats.BytesRead)
		}
	}
	b.ReportMetric(float64(files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// TestSmallFilesChunkLikeTheChunker checks that reading a small file as one
// chunk, without the chunker, gives the blobs the chunker would.
func TestSmallFilesChunkLikeTheChunker(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	minSize := r.Config().Chunker.Min
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := []int{0, 1, minSize - 1, minSize, minSize + 1, 3 * minSize}
	data := map[string][]byte{}
	for _, n := range sizes {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		name := fmt.Sprintf("f%d", n)
		data[name] = b
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := archiver.New(r, archiver.Options{}).Snapshot(ctx, []string{dir}, archiver.SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	root := loadTree(t, r, res.Snapshot.Tree)
	files := loadTree(t, r, repo.ID(*root.Nodes[0].Subtree))
	for _, n := range files.Nodes {
		var want []tree.ID
		ch := r.NewChunker(bytes.NewReader(data[n.Name]))
		for {
			c, err := ch.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			id, added, err := r.SaveBlob(ctx, repo.DataBlob, c)
			if err != nil || added {
				t.Fatalf("%s: chunk not saved by the backup (added=%v, err=%v)", n.Name, added, err)
			}
			want = append(want, tree.ID(id))
		}
		if diff := cmp.Diff(want, n.Content); diff != "" {
			t.Errorf("%s: content (-chunker +backup):\n%s", n.Name, diff)
		}
	}
}

func loadTree(t *testing.T, r *repo.Repository, id repo.ID) *tree.Tree {
	t.Helper()
	data, err := r.LoadBlob(context.Background(), repo.TreeBlob, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := tree.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
