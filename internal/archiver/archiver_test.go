package archiver

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// loader is what readBack needs.
type loader interface {
	LoadBlob(ctx context.Context, t repo.BlobType, id repo.ID, buf []byte) ([]byte, error)
}

// readBack returns every node of the snapshot tree below id by path, and
// the content of every file.
func readBack(t *testing.T, r loader, id repo.ID) (map[string]tree.Node, map[string][]byte) {
	t.Helper()
	nodes, contents := map[string]tree.Node{}, map[string][]byte{}
	var walk func(prefix string, id repo.ID)
	walk = func(prefix string, id repo.ID) {
		data, err := r.LoadBlob(context.Background(), repo.TreeBlob, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := tree.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range tr.Nodes {
			p := prefix + n.Name
			nodes[p] = n
			if n.Type == tree.TypeFile {
				var buf bytes.Buffer
				for _, c := range n.Content {
					b, err := r.LoadBlob(context.Background(), repo.DataBlob, c, nil)
					if err != nil {
						t.Fatal(err)
					}
					buf.Write(b)
				}
				contents[p] = buf.Bytes()
			}
			if n.Subtree != nil {
				walk(p+"/", *n.Subtree)
			}
		}
	}
	walk("", id)
	return nodes, contents
}

func backup(t *testing.T, a *Archiver, paths []string, opts SnapshotOptions) *Result {
	t.Helper()
	res, err := a.Snapshot(context.Background(), paths, opts)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return res
}

func TestSnapshotRecordsEverything(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	fx := archivertest.MakeFixture(t, dir)
	mr := archivertest.NewMemRepo()
	res := backup(t, New(mr, Options{}), []string{dir}, SnapshotOptions{Template: repo.Snapshot{Hostname: "h", Tags: []string{"t"}}})
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	nodes, contents := readBack(t, mr, res.Snapshot.Tree)

	for rel, n := range nodes {
		if n.Type != tree.TypeFile {
			continue
		}
		want, err := os.ReadFile(filepath.Join(filepath.Dir(dir), rel))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, contents[rel]) {
			t.Errorf("%s: content differs (%d bytes saved, %d on disk)", rel, len(contents[rel]), len(want))
		}
		if n.Size != uint64(len(want)) {
			t.Errorf("%s: size %d, want %d", rel, n.Size, len(want))
		}
	}
	checks := map[string]tree.Type{
		"data": tree.TypeDir, "data/fifo": tree.TypeFIFO, "data/socket": tree.TypeSocket,
		"data/rel-link": tree.TypeSymlink, "data/dangling-link": tree.TypeSymlink,
		"data/" + archivertest.LongName: tree.TypeFile, "data/" + archivertest.OddName: tree.TypeFile,
		"data/emptydir": tree.TypeDir, "data/sub/deeper/deepest/file": tree.TypeFile,
	}
	if fx.Devices {
		checks["data/null"] = tree.TypeCharDev
		checks["data/blockdev"] = tree.TypeDevice
	}
	for p, typ := range checks {
		if got := nodes[p].Type; got != typ {
			t.Errorf("%q: type %v, want %v", p, got, typ)
		}
	}
	if got := nodes["data/abs-link"].LinkTarget; got != "/etc/hostname" {
		t.Errorf("abs-link target %q", got)
	}
	if got := nodes["data/sticky"].Mode; got != 0o1777 {
		t.Errorf("sticky mode %o", got)
	}
	a, b := nodes["data/links/a"], nodes["data/links/b"]
	if a.Links != 3 || a.Inode != b.Inode || !cmp.Equal(a.Content, b.Content) {
		t.Errorf("hard links: a=%+v b=%+v", a, b)
	}
	if fx.Devices && nodes["data/null"].Device == 0 {
		t.Errorf("char device without a device number")
	}
	if fx.Xattrs && len(nodes["data/small.txt"].Xattrs) != 1 {
		t.Errorf("xattrs of small.txt: %v", nodes["data/small.txt"].Xattrs)
	}
	sn := res.Snapshot
	if sn.Hostname != "h" || sn.Paths[0] != dir || sn.ContentDigest != "ARCA-TREE:"+sn.Tree.String() {
		t.Errorf("snapshot fields: %+v", sn)
	}
	if sn.Stats.FilesNew != sn.Stats.Files-2 { // the two further hard links are not read
		t.Errorf("stats: %+v", sn.Stats)
	}
	if mr.Flushes.Load() != 1 || mr.Snapshots() != 1 {
		t.Errorf("flushes %d, snapshots %d", mr.Flushes.Load(), mr.Snapshots())
	}
}

func TestIncrementalReusesUnchangedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	archivertest.MakeFixture(t, dir)
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	first := backup(t, a, []string{dir}, SnapshotOptions{})

	var opened []string
	var mu sync.Mutex
	a.testHookOpen = func(p string) {
		mu.Lock()
		defer mu.Unlock()
		opened = append(opened, filepath.Base(p))
	}
	second := backup(t, a, []string{dir}, SnapshotOptions{Parent: &first.ID})
	if len(opened) != 0 {
		t.Errorf("a no-change backup opened %q", opened)
	}
	st := second.Snapshot.Stats
	if st.BytesRead != 0 || st.FilesNew != 0 || st.FilesChanged != 0 || st.FilesUnmodified == 0 {
		t.Errorf("no-change backup stats: %+v", st)
	}
	if second.Snapshot.Tree != first.Snapshot.Tree {
		t.Errorf("no-change backup gave another root tree")
	}

	changed := []byte("changed content, longer than before")
	if err := os.WriteFile(filepath.Join(dir, "small.txt"), changed, 0o600); err != nil {
		t.Fatal(err)
	}
	third := backup(t, a, []string{dir}, SnapshotOptions{Parent: &second.ID})
	if diff := cmp.Diff([]string{"small.txt"}, opened); diff != "" {
		t.Errorf("files opened after one change (-want +got):\n%s", diff)
	}
	st = third.Snapshot.Stats
	if st.BytesRead != uint64(len(changed)) || st.FilesChanged != 1 || st.FilesNew != 0 {
		t.Errorf("after one change: %+v", st)
	}
	_, contents := readBack(t, mr, third.Snapshot.Tree)
	if got := contents[filepath.Base(dir)+"/small.txt"]; !bytes.Equal(got, changed) {
		t.Errorf("changed file content %q", got)
	}
}

func TestVanishedFileIsAWarning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	a.testHookOpen = func(p string) {
		if filepath.Base(p) == "b" {
			os.Remove(p)
		}
	}
	res := backup(t, a, []string{dir}, SnapshotOptions{})
	if len(res.Warnings) != 1 || !strings.HasSuffix(res.Warnings[0].Path, "/b") || !strings.Contains(res.Warnings[0].Message, "vanished") {
		t.Errorf("warnings: %v", res.Warnings)
	}
	nodes, _ := readBack(t, mr, res.Snapshot.Tree)
	base := filepath.Base(dir)
	if _, ok := nodes[base+"/b"]; ok {
		t.Errorf("vanished file is in the snapshot")
	}
	if _, ok := nodes[base+"/c"]; !ok {
		t.Errorf("c is missing")
	}
	if res.Snapshot.Stats.Warnings != 1 {
		t.Errorf("Stats.Warnings = %d", res.Snapshot.Stats.Warnings)
	}
}

func TestCancelLeavesNoSnapshot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	archivertest.MakeFixture(t, dir)
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	a.testHookOpen = func(string) { once.Do(cancel) }
	_, err := a.Snapshot(ctx, []string{dir}, SnapshotOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Snapshot = %v, want context.Canceled", err)
	}
	if mr.Snapshots() != 0 {
		t.Errorf("a cancelled backup saved a snapshot")
	}
}

func TestSaveErrorFailsBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	archivertest.MakeFixture(t, dir)
	mr := archivertest.NewMemRepo()
	boom := errors.New("disk full")
	mr.FailSave = boom
	_, err := New(mr, Options{}).Snapshot(context.Background(), []string{dir}, SnapshotOptions{})
	if !errors.Is(err, boom) {
		t.Errorf("Snapshot = %v, want %v", err, boom)
	}
	if mr.Snapshots() != 0 {
		t.Errorf("a failed backup saved a snapshot")
	}
}

func TestExcludeAndInclude(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := []string{"keep.txt", "drop.tmp", "cache/x.txt", "src/a.go", "src/b.txt", "src/deep/c.go", "other/d.txt"}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Base(dir)
	list := func(opts SnapshotOptions) []string {
		mr := archivertest.NewMemRepo()
		res := backup(t, New(mr, Options{}), []string{dir}, opts)
		nodes, _ := readBack(t, mr, res.Snapshot.Tree)
		var out []string
		for p, n := range nodes {
			if n.Type == tree.TypeFile {
				out = append(out, strings.TrimPrefix(p, base+"/"))
			}
		}
		return sortStrings(out)
	}
	got := list(SnapshotOptions{Excludes: []string{"*.tmp", "cache/"}})
	if diff := cmp.Diff([]string{"keep.txt", "other/d.txt", "src/a.go", "src/b.txt", "src/deep/c.go"}, got); diff != "" {
		t.Errorf("excludes (-want +got):\n%s", diff)
	}
	got = list(SnapshotOptions{Includes: []string{"*.go"}})
	if diff := cmp.Diff([]string{"src/a.go", "src/deep/c.go"}, got); diff != "" {
		t.Errorf("includes (-want +got):\n%s", diff)
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestProgressReportsFinalTotals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	archivertest.MakeFixture(t, dir)
	var mu sync.Mutex
	var last Progress
	calls := 0
	res := backup(t, New(archivertest.NewMemRepo(), Options{}), []string{dir}, SnapshotOptions{
		Progress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			last, calls = p, calls+1
		},
	})
	mu.Lock()
	defer mu.Unlock()
	st := res.Snapshot.Stats
	if calls == 0 || last.Phase != PhaseDone || !last.TotalsFinal || last.FilesDone != st.Files+st.Others || last.BytesDone != st.TotalBytes {
		t.Errorf("last progress %+v after %d calls; stats %+v", last, calls, st)
	}
}

func TestDuplicateRootNamesRefused(t *testing.T) {
	t.Parallel()
	a, b := filepath.Join(t.TempDir(), "x"), filepath.Join(t.TempDir(), "x")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(archivertest.NewMemRepo(), Options{}).Snapshot(context.Background(), []string{a, b}, SnapshotOptions{}); err == nil {
		t.Errorf("two roots named x were accepted")
	}
}

func TestFileChangedWhileReadIsAWarning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "growing.log")
	if err := os.WriteFile(p, []byte("first line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	a.testHookOpen = func(path string) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		f.WriteString("second line\n")
		f.Close()
	}
	res := backup(t, a, []string{dir}, SnapshotOptions{})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "changed while it was read") {
		t.Errorf("warnings: %v", res.Warnings)
	}
	nodes, contents := readBack(t, mr, res.Snapshot.Tree)
	key := filepath.Base(dir) + "/growing.log"
	if n := nodes[key]; n.Size != uint64(len(contents[key])) {
		t.Errorf("size %d does not match the %d bytes saved", n.Size, len(contents[key]))
	}
	if got := string(contents[key]); got != "first line\nsecond line\n" {
		t.Errorf("saved %q", got)
	}
}

func TestSingleFileRoot(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "alone.txt")
	if err := os.WriteFile(p, []byte("alone"), 0o640); err != nil {
		t.Fatal(err)
	}
	mr := archivertest.NewMemRepo()
	res := backup(t, New(mr, Options{}), []string{p}, SnapshotOptions{})
	_, contents := readBack(t, mr, res.Snapshot.Tree)
	if diff := cmp.Diff(map[string][]byte{"alone.txt": []byte("alone")}, contents); diff != "" {
		t.Errorf("contents (-want +got):\n%s", diff)
	}
}
