package restorer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// FuzzRestoreTree restores arbitrary trees (whatever the tree decoder
// accepts, with one level of subtree and one data blob available) and
// checks that nothing is ever created outside the target.
func FuzzRestoreTree(f *testing.F) {
	mr := archivertest.NewMemRepo()
	data, _, err := mr.SaveBlob(context.Background(), repo.DataBlob, []byte("pwned"))
	if err != nil {
		f.Fatal(err)
	}
	for _, nodes := range [][]tree.Node{
		{{Name: "..", Type: tree.TypeFile, Size: 5, Content: []tree.ID{data}}},
		{{Name: "a", Type: tree.TypeSymlink, LinkTarget: "/"}},
		{{Name: "d", Type: tree.TypeDir}, {Name: "f", Type: tree.TypeFile, Size: 5, Content: []tree.ID{data}, Links: 2, Inode: 1}},
		{{Name: "x", Type: tree.TypeFIFO, Mode: 0o644}, {Name: "y", Type: tree.TypeFile, Links: 2, Inode: 1}},
	} {
		enc, err := tree.Encode(&tree.Tree{Nodes: nodes})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc, enc)
	}
	f.Fuzz(func(t *testing.T, rootData, subData []byte) {
		root, err := tree.Decode(rootData)
		if err != nil {
			return
		}
		ctx := context.Background()
		subID, _, err := mr.SaveBlob(ctx, repo.TreeBlob, subData)
		if err != nil {
			t.Fatal(err)
		}
		for i := range root.Nodes {
			if root.Nodes[i].Type == tree.TypeDir {
				sub := tree.ID(subID)
				root.Nodes[i].Subtree = &sub // arbitrary bytes: decoded or refused by the restorer
			}
		}
		enc, err := tree.Encode(root)
		if err != nil {
			t.Fatal(err)
		}
		rootID, _, err := mr.SaveBlob(ctx, repo.TreeBlob, enc)
		if err != nil {
			t.Fatal(err)
		}
		parent := t.TempDir()
		target := filepath.Join(parent, "target")
		if _, err := New(mr).Restore(ctx, rootID, target, Options{Overwrite: OverwriteAlways, NoOwner: true}); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "target" {
			t.Fatalf("entries beside the target: %v", entries)
		}
	})
}
