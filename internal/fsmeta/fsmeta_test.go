package fsmeta

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/repo/tree"
)

func TestApplyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	when := time.Date(1999, 12, 31, 23, 59, 59, 123456789, time.UTC)
	if err := syscall.Chmod(src, 0o2751); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(src, when, when); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(src)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewReader().Node(src, fi)
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != tree.TypeFile || n.Mode != 0o2751 || !n.ModTime.Equal(when) || n.Size != 1 {
		t.Fatalf("node %+v", n)
	}

	dst := filepath.Join(dir, "dst")
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ApplyFile(f, &n, ApplyOptions{Owner: os.Geteuid() == 0}, false); err != nil {
		t.Fatal(err)
	}
	if err := SetFileTimes(f, &n); err != nil {
		t.Fatal(err)
	}
	fi, err = os.Lstat(dst)
	if err != nil {
		t.Fatal(err)
	}
	got := FromStat("dst", fi.Sys().(*syscall.Stat_t))
	if got.Mode != n.Mode || !got.ModTime.Equal(when) {
		t.Errorf("applied mode %o time %v, want %o %v", got.Mode, got.ModTime, n.Mode, when)
	}
}

func TestApplySymlinkDoesNotFollow(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(target)
	if err := os.Symlink("target", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	when := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	n := tree.Node{Type: tree.TypeSymlink, Mode: 0o777, ModTime: when}
	if err := Apply(d, "link", &n, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(target)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("Apply on a symlink changed its target's mtime")
	}
	li, _ := os.Lstat(filepath.Join(dir, "link"))
	if !li.ModTime().Equal(when) {
		t.Errorf("link mtime %v, want %v", li.ModTime(), when)
	}
}
