package archiver

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arcabackup/arca/internal/archiver/archivertest"
)

// TestFileSwappedBeforeOpen: a regular file replaced, between the walk's
// lstat and its open, by something that is not a regular file is a
// warning; the backup neither hangs on a FIFO nor follows a symlink.
func TestFileSwappedBeforeOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		swap func(path string) error
		msg  string
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "no longer a regular file"},
		{"symlink", func(p string) error { return os.Symlink("/etc/passwd", p) }, "too many levels of symbolic links"},
		{"directory", func(p string) error { return os.Mkdir(p, 0o755) }, "no longer a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, n := range []string{"keep", "swap"} {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			mr := archivertest.NewMemRepo()
			a := New(mr, Options{})
			a.testHookOpen = func(p string) {
				if filepath.Base(p) != "swap" {
					return
				}
				if err := os.Remove(p); err != nil {
					t.Error(err)
				}
				if err := tc.swap(p); err != nil {
					t.Error(err)
				}
			}
			res := backup(t, a, []string{dir}, SnapshotOptions{})
			if len(res.Warnings) != 1 || !strings.HasSuffix(res.Warnings[0].Path, "/swap") || !strings.Contains(res.Warnings[0].Message, tc.msg) {
				t.Fatalf("warnings: %v, want one for swap saying %q", res.Warnings, tc.msg)
			}
			_, contents := readBack(t, mr, res.Snapshot.Tree)
			if got := string(contents[filepath.Base(dir)+"/keep"]); got != "keep" || len(contents) != 1 {
				t.Errorf("files saved: %q", contents)
			}
		})
	}
}
