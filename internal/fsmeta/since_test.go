package fsmeta

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/repo/tree"
)

func TestNodeSinceReusesXattrsOfAnUnchangedInode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := NewReader()
	node := func(prev *tree.Node) tree.Node {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		n, err := r.NodeSince(p, fi, prev)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	prev := node(nil)
	sentinel := []tree.Xattr{{Name: "user.from-parent", Value: []byte("1")}}
	prev.Xattrs = sentinel
	if got := node(&prev); len(got.Xattrs) != 1 || got.Xattrs[0].Name != "user.from-parent" {
		t.Errorf("unchanged inode: xattrs %v, want the parent's", got.Xattrs)
	}
	// A metadata change (here chmod; setxattr does the same) moves the
	// ctime: the xattrs are read again.
	time.Sleep(10 * time.Millisecond) // ctime granularity of some file systems
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if got := node(&prev); len(got.Xattrs) == 1 && got.Xattrs[0].Name == "user.from-parent" {
		t.Error("changed ctime: the parent's xattrs were reused")
	}
	other := node(nil)
	other.Xattrs = sentinel
	other.Inode++
	if got := node(&other); len(got.Xattrs) == 1 && got.Xattrs[0].Name == "user.from-parent" {
		t.Error("another inode: the parent's xattrs were reused")
	}
}
