package archiver_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/local"
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
