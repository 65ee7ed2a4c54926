package pruner_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
)

// The real backup pipeline, opened before a prune hid the pack of a file
// it then finds again on disk: it reuses the hidden blob, and Reconcile
// makes its snapshot whole at once.
func TestArchiverBackupDuringPrune(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s, r := initRepo(t, c)
	dir := t.TempDir()
	files := map[string][]byte{"a": content(80, 50000), "b": content(81, 50000)}
	write := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a")
	write("b")
	snapshot := func(rp *repo.Repository) repo.ID {
		t.Helper()
		res, err := archiver.New(rp, archiver.Options{}).Snapshot(ctx, []string{dir}, archiver.SnapshotOptions{
			NoXattrs: true, NoScan: true, Template: repo.Snapshot{Hostname: "h", Time: c.Now()},
		})
		if err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	first := snapshot(r)
	if err := os.Remove(filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	snapshot(r)
	if _, err := pruner.Forget(ctx, r, pruner.ForgetOptions{IDs: []repo.ID{first}}); err != nil {
		t.Fatal(err)
	}
	c.Advance(delay + time.Minute)

	w := openWriter(t, s, c) // still sees b's pack
	if rep := prune(t, r, pruneOpts(c)); rep.PacksMarked == 0 {
		t.Fatalf("b's pack was not marked: %+v", rep)
	}
	write("b")
	third := snapshot(w)
	if st := w.Stats(); st.DataBlobs != 0 {
		t.Fatalf("the backup stored %d data blobs; the test needs it to reuse b's", st.DataBlobs)
	}
	if n, err := pruner.Reconcile(ctx, w, third); err != nil || n == 0 {
		t.Fatalf("Reconcile = %d, %v; want b's pack indexed again", n, err)
	}
	readBack := func() {
		t.Helper()
		got, err := readSnapshot(ctx, s, third)
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			found := false
			for p, g := range got {
				if strings.HasSuffix(p, "/"+name) {
					found = true
					if string(g) != string(data) {
						t.Errorf("file %s reads back differently", name)
					}
				}
			}
			if !found {
				t.Errorf("file %s missing from the snapshot (have %d files)", name, len(got))
			}
		}
	}
	readBack()
	c.Advance(delay + time.Minute)
	if rep := prune(t, r, pruneOpts(c)); rep.PacksKept == 0 {
		t.Errorf("sweep: %+v; want b's pack kept", rep)
	}
	readBack()
	verify(t, s, nil)
}
