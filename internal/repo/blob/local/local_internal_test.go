package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/repo/blob"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "repo"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// tempFiles returns the temporary files anywhere under the store's root.
func tempFiles(t *testing.T, s *Store) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			found = append(found, p)
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	return found
}

func TestPutLeavesReadOnlyFileAndNoTemporaries(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	if err := s.Put(ctx, "data/ab/abcd", []byte("data")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Put(ctx, "data/ab/abcd", []byte("other")); !errors.Is(err, blob.ErrExists) {
		t.Fatalf("second Put: %v, want ErrExists", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(canceled, "data/ab/canceled", []byte("data")); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Put: %v, want context.Canceled", err)
	}
	fi, err := os.Stat(filepath.Join(s.root, "data", "ab", "abcd"))
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	if got := fi.Mode().Perm(); got != fileMode {
		t.Errorf("object mode = %v, want %v", got, os.FileMode(fileMode))
	}
	if got := tempFiles(t, s); len(got) != 0 {
		t.Errorf("temporary files left behind: %q", got)
	}
}

func TestWriteTempCanceledLeavesNothing(t *testing.T) {
	s := newTestStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dir := filepath.Join(s.root, "data", "cd")
	if _, err := s.writeTemp(ctx, dir, make([]byte, 3*writeChunk), true); !errors.Is(err, context.Canceled) {
		t.Fatalf("writeTemp: %v, want context.Canceled", err)
	}
	if got := tempFiles(t, s); len(got) != 0 {
		t.Errorf("temporary files left behind: %q", got)
	}
}

func TestListSkipsTemporaryFiles(t *testing.T) {
	s := newTestStore(t)
	if err := s.Put(t.Context(), "data/ab/abcd", []byte("data")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	stray := filepath.Join(s.root, "data", "ab", ".tmp-12345")
	if err := os.WriteFile(stray, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.root, ".trash", "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.root, ".trash", "x", "y"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := s.List(t.Context(), "", func(fi blob.Info) error {
		got = append(got, fi.Name)
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff([]string{"data/ab/abcd"}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestNewRejectsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(f); err == nil {
		t.Errorf("New(%s) of a regular file succeeded", f)
	}
}

func TestLocation(t *testing.T) {
	s := newTestStore(t)
	if want := "local:" + s.root; s.Location() != want || !filepath.IsAbs(s.root) {
		t.Errorf("Location() = %q, want %q (absolute)", s.Location(), want)
	}
}

func TestRemoveTemporary(t *testing.T) {
	s := newTestStore(t)
	if err := s.Put(t.Context(), "data/ab/abcd", []byte("data")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(s.root, "data", "ab", ".tmp-stale")
	fresh := filepath.Join(s.root, "data", "ab", ".tmp-fresh")
	now := time.Now()
	for p, mtime := range map[string]time.Time{stale: now.Add(-2 * time.Hour), fresh: now} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.RemoveTemporary(t.Context(), now.Add(-time.Hour))
	if err != nil || n != 1 {
		t.Errorf("RemoveTemporary = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file: %v, want it removed", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file: %v, want it kept", err)
	}
	if _, err := s.Stat(t.Context(), "data/ab/abcd"); err != nil {
		t.Errorf("object: %v, want it kept", err)
	}
}

func TestListStaysInsideRoot(t *testing.T) {
	s := newTestStore(t)
	outside := filepath.Join(filepath.Dir(s.root), "outside")
	if err := os.WriteFile(outside, []byte("not an object"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"../", "../o", "data/../../"} {
		err := s.List(t.Context(), prefix, func(fi blob.Info) error {
			t.Errorf("List(%q) reported %q", prefix, fi.Name)
			return nil
		})
		if err != nil {
			t.Errorf("List(%q): %v", prefix, err)
		}
	}
}
