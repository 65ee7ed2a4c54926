package archiver

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo"
)

// holdingRepo holds the SaveBlob of data blobs with the given content
// until release is closed.
type holdingRepo struct {
	*archivertest.MemRepo
	hold    []byte
	release chan struct{}
}

func (h *holdingRepo) SaveBlob(ctx context.Context, t repo.BlobType, p []byte) (repo.ID, bool, error) {
	if t == repo.DataBlob && bytes.Equal(p, h.hold) {
		<-h.release
	}
	return h.MemRepo.SaveBlob(ctx, t, p)
}

// A reader does not wait for the savers to finish its file: with one
// reader and one saver, and the saver held on the first file's chunk, the
// reader still opens the second file. Both files are then saved whole.
func TestReaderGoesOnWhileItsFileIsSaved(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"data/a": []byte("first file"), "data/b": []byte("second file")}
	for name, b := range want {
		if err := os.WriteFile(filepath.Join(filepath.Dir(dir), name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := &holdingRepo{MemRepo: archivertest.NewMemRepo(), hold: want["data/a"], release: make(chan struct{})}
	a := New(h, Options{Readers: 1, Savers: 1})
	openedB := make(chan struct{})
	a.testHookOpen = func(p string) {
		if filepath.Base(p) == "b" {
			close(openedB)
		}
	}
	type result struct {
		res *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := a.Snapshot(context.Background(), []string{dir}, SnapshotOptions{NoScan: true})
		done <- result{res, err}
	}()
	select {
	case <-openedB:
	case <-time.After(20 * time.Second):
		close(h.release)
		t.Fatal("the reader did not open the second file while the first one's chunk was being saved")
	}
	close(h.release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	_, contents := readBack(t, h.MemRepo, r.res.Snapshot.Tree)
	for p, b := range want {
		if !bytes.Equal(contents[p], b) {
			t.Errorf("%s saved as %q, want %q", p, contents[p], b)
		}
	}
}
