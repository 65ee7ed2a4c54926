package restorer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// fixtureRepo is a repository holding one snapshot of a fixture directory.
type fixtureRepo struct {
	src  string // the fixture directory
	base string // its name in the snapshot's root tree
	root repo.ID
	mr   *archivertest.MemRepo
}

func backupFixture(t *testing.T) fixtureRepo {
	t.Helper()
	src := filepath.Join(t.TempDir(), "data")
	archivertest.MakeFixture(t, src)
	mr := archivertest.NewMemRepo()
	res, err := archiver.New(mr, archiver.Options{}).Snapshot(context.Background(), []string{src}, archiver.SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		t.Fatalf("backup warnings: %v", res.Warnings)
	}
	return fixtureRepo{src: src, base: "data", root: res.Snapshot.Tree, mr: mr}
}

func restoreOK(t *testing.T, r Repo, root repo.ID, target string, opts Options) *Result {
	t.Helper()
	res, err := New(r).Restore(context.Background(), root, target, opts)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return res
}

func TestRoundTripAtTheSeam(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	target := t.TempDir()
	var last Progress
	res := restoreOK(t, fx.mr, fx.root, target, Options{Progress: func(p Progress) { last = p }})
	if res.FailureCount != 0 {
		t.Errorf("failures: %v", res.Failures)
	}
	archivertest.CompareDirs(t, fx.src, filepath.Join(target, fx.base), true)
	if last.Phase != PhaseDone || !last.TotalsFinal || last.FilesDone != last.FilesTotal || last.BytesDone != last.BytesTotal {
		t.Errorf("final progress %+v", last)
	}
	checkSparse(t, filepath.Join(target, fx.base, "sparse.img"))
}

// checkSparse fails unless the file uses far fewer blocks than its size.
func checkSparse(t *testing.T, p string) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if used := st.Blocks * 512; used >= fi.Size()/2 {
		t.Errorf("%s: %d bytes allocated for %d, want holes", p, used, fi.Size())
	}
}

func TestRestoreSubtree(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	target := t.TempDir()
	restoreOK(t, fx.mr, fx.root, target, Options{Path: fx.base + "/sub"})
	archivertest.CompareDirs(t, filepath.Join(fx.src, "sub"), target, true)

	// A target the restore creates takes the selected directory's metadata.
	made := filepath.Join(t.TempDir(), "made")
	restoreOK(t, fx.mr, fx.root, made, Options{Path: fx.base + "/sticky"})
	if fi, err := os.Stat(made); err != nil || fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("created target: %v, %v; want the sticky directory's mode", fi.Mode(), err)
	}

	one := t.TempDir()
	restoreOK(t, fx.mr, fx.root, one, Options{Path: fx.base + "/small.txt"})
	if got, _ := os.ReadFile(filepath.Join(one, "small.txt")); string(got) != "hello, arca\n" {
		t.Errorf("single file restore: %q", got)
	}
	if _, err := New(fx.mr).Restore(context.Background(), fx.root, t.TempDir(), Options{Path: "data/nope"}); err == nil {
		t.Errorf("restoring a missing path succeeded")
	}
}

func TestDamagedBlobNamesTheFile(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	tr := loadTreeT(t, fx.mr, fx.root)
	data := loadTreeT(t, fx.mr, repo.ID(*tr.Find(fx.base).Subtree))
	big := data.Find("big.bin")
	fx.mr.Damage(repo.DataBlob, repo.ID(big.Content[1]))

	target := t.TempDir()
	res := restoreOK(t, fx.mr, fx.root, target, Options{})
	if res.FailureCount != 1 || res.Failures[0].Path != fx.base+"/big.bin" || !strings.Contains(res.Failures[0].Message, "integrity") {
		t.Errorf("failures: %v", res.Failures)
	}
	if _, err := os.Lstat(filepath.Join(target, fx.base, "big.bin")); !os.IsNotExist(err) {
		t.Errorf("a damaged file was left in the target: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(target, fx.base, "small.txt")); string(got) != "hello, arca\n" {
		t.Errorf("other files not restored: %q", got)
	}
}

func loadTreeT(t *testing.T, r Repo, id repo.ID) *tree.Tree {
	t.Helper()
	tr, err := loadTree(context.Background(), r, tree.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestOverwritePolicies(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	restoreOK(t, fx.mr, fx.root, target, Options{})
	small := filepath.Join(target, fx.base, "small.txt")
	big := filepath.Join(target, fx.base, "big.bin")
	modify := func() {
		if err := os.WriteFile(small, []byte("local edit"), 0o600); err != nil {
			t.Fatal(err)
		}
		// a symlink planted where a file will be restored
		if err := os.Remove(big); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, big); err != nil {
			t.Fatal(err)
		}
		// a symlink pointing elsewhere
		link := filepath.Join(target, fx.base, "rel-link")
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("elsewhere", link); err != nil {
			t.Fatal(err)
		}
	}
	modify()

	res := restoreOK(t, fx.mr, fx.root, target, Options{Overwrite: OverwriteNever})
	if got, _ := os.ReadFile(small); string(got) != "local edit" {
		t.Errorf("never: file replaced: %q", got)
	}
	if res.Files != 0 || res.Skipped == 0 {
		t.Errorf("never: %+v", res)
	}

	res = restoreOK(t, fx.mr, fx.root, target, Options{Overwrite: OverwriteIfChanged})
	if got, _ := os.ReadFile(small); string(got) != "hello, arca\n" {
		t.Errorf("if-changed: changed file kept: %q", got)
	}
	if res.Files != 2 || res.Others != 1 { // small.txt, big.bin (was a symlink) and rel-link
		t.Errorf("if-changed wrote %d files and %d others, want 2 and 1: %+v", res.Files, res.Others, res)
	}
	archivertest.CompareDirs(t, fx.src, filepath.Join(target, fx.base), false)

	modify()
	res = restoreOK(t, fx.mr, fx.root, target, Options{Overwrite: OverwriteAlways})
	if res.Skipped != 0 || res.FailureCount != 0 {
		t.Errorf("always: %+v", res)
	}
	archivertest.CompareDirs(t, fx.src, filepath.Join(target, fx.base), true)
	if got, _ := os.ReadFile(victim); string(got) != "precious" {
		t.Errorf("a file outside the target was written through a symlink: %q", got)
	}
}

// saveTree stores a hand-built tree, hostile or not, and returns its id.
func saveTree(t *testing.T, mr *archivertest.MemRepo, nodes ...tree.Node) tree.ID {
	t.Helper()
	tr := &tree.Tree{Nodes: nodes}
	tr.Sort()
	data, err := tree.Encode(tr)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := mr.SaveBlob(context.Background(), repo.TreeBlob, data)
	if err != nil {
		t.Fatal(err)
	}
	return tree.ID(id)
}

func saveData(t *testing.T, mr *archivertest.MemRepo, s string) tree.ID {
	t.Helper()
	id, _, err := mr.SaveBlob(context.Background(), repo.DataBlob, []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return tree.ID(id)
}

func TestHostileTreesCannotEscape(t *testing.T) {
	t.Parallel()
	mr := archivertest.NewMemRepo()
	outside := t.TempDir()
	pwn := saveData(t, mr, "pwned")
	file := func(name string) tree.Node {
		return tree.Node{Name: name, Type: tree.TypeFile, Mode: 0o644, Size: 5, Content: []tree.ID{pwn}}
	}
	inner := saveTree(t, mr, file("pwned"))
	hostile := []tree.Node{
		file(".."), file("."), file("../../../" + outside + "/pwned"), file("a/../../pwned"),
		file(outside + "/pwned"), file("nul\x00byte"),
		{Name: "..", Type: tree.TypeDir, Subtree: &inner},
		{Name: "escape", Type: tree.TypeSymlink, LinkTarget: outside},
		{Name: "up", Type: tree.TypeSymlink, LinkTarget: "../../../../../../" + outside},
	}
	var refused []string
	for i, n := range hostile {
		root := saveTree(t, mr, n)
		target := t.TempDir()
		res, err := New(mr).Restore(context.Background(), repo.ID(root), target, Options{Overwrite: OverwriteAlways})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if res.FailureCount > 0 {
			refused = append(refused, n.Name)
		}
	}
	// Symlinks are restored as they are (their targets are data); files
	// and directories with hostile names are refused.
	want := []string{"..", ".", "../../../" + outside + "/pwned", "a/../../pwned", outside + "/pwned", "nul\x00byte", ".."}
	if diff := cmp.Diff(want, refused); diff != "" {
		t.Errorf("refused names (-want +got):\n%s", diff)
	}

	// A symlink restored first, then a tree that puts a directory of the
	// same name there: the restore must not write through the link.
	target := t.TempDir()
	link := saveTree(t, mr, tree.Node{Name: "d", Type: tree.TypeSymlink, LinkTarget: outside})
	dir := saveTree(t, mr, tree.Node{Name: "d", Type: tree.TypeDir, Mode: 0o755, Subtree: &inner})
	for _, ow := range []Overwrite{OverwriteNever, OverwriteIfChanged, OverwriteAlways} {
		restoreOK(t, mr, repo.ID(link), target, Options{Overwrite: OverwriteAlways})
		restoreOK(t, mr, repo.ID(dir), target, Options{Overwrite: ow})
	}
	// An attacker's symlink already inside the target, at a file's path.
	planted := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "pwned"), filepath.Join(planted, "pwned")); err != nil {
		t.Fatal(err)
	}
	for _, ow := range []Overwrite{OverwriteNever, OverwriteIfChanged, OverwriteAlways} {
		restoreOK(t, mr, repo.ID(inner), planted, Options{Overwrite: ow})
	}
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("files appeared outside the target: %v", entries)
	}
}
