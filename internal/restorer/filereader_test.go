package restorer_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/repo/repotest"
	"github.com/arcabackup/arca/internal/restorer"
)

func TestFileReaderRandomAccess(t *testing.T) {
	ctx := context.Background()
	r, _ := repotest.New(t)
	dir := t.TempDir()
	content := make([]byte, 300<<10)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range content {
		content[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(filepath.Join(dir, "big"), content, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := archiver.New(r, archiver.Options{}).Snapshot(ctx, []string{dir}, archiver.SnapshotOptions{NoScan: true})
	if err != nil {
		t.Fatal(err)
	}
	rs := restorer.New(r)
	n, err := rs.Lookup(ctx, res.Snapshot.Tree, filepath.Base(dir)+"/big")
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Content) < 3 {
		t.Fatalf("want a file of several chunks, got %d", len(n.Content))
	}
	f, err := rs.OpenFile(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ off, n int64 }{{0, 10}, {100_000, 70_000}, {int64(len(content)) - 5, 5}, {12345, 1}, {0, int64(len(content))}} {
		if _, err := f.Seek(c.off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, c.n)
		if _, err := io.ReadFull(f, got); err != nil {
			t.Fatalf("read %d at %d: %v", c.n, c.off, err)
		}
		if !bytes.Equal(got, content[c.off:c.off+c.n]) {
			t.Errorf("bytes %d+%d differ", c.off, c.n)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read at the end = %v, want EOF", err)
	}
}
