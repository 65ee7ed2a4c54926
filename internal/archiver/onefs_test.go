package archiver

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo/tree"
)

func TestOneFileSystem(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPING: mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("arca-test", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("SKIPPING: cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	for _, p := range []string{filepath.Join(dir, "here"), filepath.Join(mnt, "there")} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Base(dir)
	for _, one := range []bool{false, true} {
		mr := archivertest.NewMemRepo()
		res := backup(t, New(mr, Options{}), []string{dir}, SnapshotOptions{OneFileSystem: one})
		nodes, _ := readBack(t, mr, res.Snapshot.Tree)
		_, there := nodes[base+"/mnt/there"]
		if m := nodes[base+"/mnt"]; m.Type != tree.TypeDir || there == one {
			t.Errorf("OneFileSystem=%v: mount point %+v, file below it saved: %v", one, m, there)
		}
		if _, ok := nodes[base+"/here"]; !ok {
			t.Errorf("OneFileSystem=%v: file on the same file system missing", one)
		}
	}
}
