package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/pruner"
)

// TestRepoLifecycle drives the offline CLI through a repository's life:
// init, backups, listing, restores, dumps, check, forget and prune.
func TestRepoLifecycle(t *testing.T) {
	c := newRepoCLI(t)
	src := filepath.Join(t.TempDir(), "src")
	writeTree(t, src)

	c.ok("init")
	first := backupJSON(t, c, src, "--tag", "first")
	if first.Stats.FilesNew != 7 || first.Stats.Others != 1 || first.Stats.BytesRead == 0 {
		t.Errorf("first backup stats: %+v, want 7 new files read and 1 symlink", first.Stats)
	}

	var sns []snapshotEntry
	c.okJSON(&sns, "snapshots", "--json")
	if len(sns) != 1 || sns[0].ID != first.ID || !slices.Equal(sns[0].Paths, []string{src}) ||
		!slices.Equal(sns[0].Tags, []string{"first"}) {
		t.Fatalf("snapshots --json = %+v, want the one snapshot %s of %s tagged first", sns, first.ID.Short(), src)
	}

	ls := strings.Split(strings.TrimSpace(c.ok("ls", first.ShortID)), "\n")
	for _, want := range []string{"/src", "/src/big.bin", "/src/a/b/c/deep.txt", "/src/odd names/sp ace & ümlaut", "/src/link", "/src/emptydir"} {
		if !slices.Contains(ls, want) {
			t.Errorf("ls does not list %q; got:\n%s", want, strings.Join(ls, "\n"))
		}
	}
	checkLsJSON(t, c, first.ID.String())

	target := filepath.Join(t.TempDir(), "restore")
	c.ok("restore", "latest", "--target", target)
	if diff := cmp.Diff(describeTree(t, src), describeTree(t, filepath.Join(target, "src"))); diff != "" {
		t.Errorf("restored tree differs from the source (-want +got):\n%s", diff)
	}

	checkIncludes(t, c, src)
	checkDumps(t, c, src)
	c.ok("check")
	c.ok("check", "--read-data")

	// A change: one file edited, one added. The parent is found
	// automatically, so unchanged files are not read again.
	if err := os.WriteFile(filepath.Join(src, "small.txt"), []byte("changed\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "new.txt"), []byte("new\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	second := backupJSON(t, c, src)
	if second.Parent == nil || *second.Parent != first.ID {
		t.Errorf("second backup's parent = %v, want %s", second.Parent, first.ID.Short())
	}
	if second.Stats.FilesUnmodified != 6 || second.Stats.FilesChanged != 1 || second.Stats.FilesNew != 1 {
		t.Errorf("second backup stats: %+v, want 6 unmodified, 1 changed, 1 new", second.Stats)
	}

	forgetOldest(t, c, first, second)
	pruneForgotten(t, c)
	c.ok("check", "--read-data")
	target2 := filepath.Join(t.TempDir(), "restore2")
	c.ok("restore", second.ShortID, "--target", target2)
	if diff := cmp.Diff(describeTree(t, src), describeTree(t, filepath.Join(target2, "src"))); diff != "" {
		t.Errorf("restore after prune differs from the source (-want +got):\n%s", diff)
	}
	var st repoStats
	c.okJSON(&st, "stats", "--json")
	if st.Snapshots != 1 || st.DataBlobs == 0 || st.RawBytes < 3<<20 {
		t.Errorf("stats = %+v, want 1 snapshot and at least 3 MiB of data", st)
	}
}

func backupJSON(t *testing.T, c *repoCLI, args ...string) backupSummary {
	t.Helper()
	var s backupSummary
	c.okJSON(&s, append([]string{"backup", "--json"}, args...)...)
	if s.ID.IsZero() || s.ShortID != s.ID.Short() {
		t.Fatalf("backup --json: no snapshot id in %+v", s)
	}
	return s
}

// checkLsJSON checks that `ls --json` prints one object per entry.
func checkLsJSON(t *testing.T, c *repoCLI, snap string) {
	t.Helper()
	out := c.ok("ls", "--json", snap, "/src/odd names")
	var got []lsEntry
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var e lsEntry
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("ls --json: %v\n%s", err, out)
		}
		got = append(got, e)
	}
	want := []string{"/src/odd names", "/src/odd names/" + strings.Repeat("n", 200), "/src/odd names/sp ace & ümlaut"}
	var paths []string
	for _, e := range got {
		paths = append(paths, e.Path)
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("ls --json paths (-want +got):\n%s", diff)
	}
	if len(got) == 3 && (got[0].Type != "dir" || got[2].Type != "file" || got[2].Size != 3 || got[2].Mode != "-rw-r-----") {
		t.Errorf("ls --json entries: %+v", got)
	}
}

// checkDumps dumps a file and a directory and compares them with the source.
func checkDumps(t *testing.T, c *repoCLI, src string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(src, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ok("dump", "latest", "/src/big.bin"); got != string(want) {
		t.Errorf("dump of big.bin: %d bytes differ from the source's %d", len(got), len(want))
	}
	tr := tar.NewReader(strings.NewReader(c.ok("dump", "latest", "/src/a")))
	var names []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("dump of a directory is not a tar archive: %v", err)
		}
		names = append(names, hdr.Name)
		if hdr.Typeflag == tar.TypeReg {
			data, _ := io.ReadAll(tr)
			if !bytes.Equal(data, bytes.Repeat([]byte("deep "), 1000)) {
				t.Errorf("tar entry %s has wrong content", hdr.Name)
			}
		}
	}
	if len(names) != 3 || !strings.HasSuffix(names[2], "deep.txt") {
		t.Errorf("tar of /src/a holds %q, want b, b/c and b/c/deep.txt", names)
	}
	zipped := c.ok("dump", "--archive", "zip", "latest", "/src/a")
	if !strings.HasPrefix(zipped, "PK") {
		t.Errorf("dump --archive zip does not start like a zip archive: %q", zipped[:min(len(zipped), 8)])
	}
	c.wantExit(ExitUsage, "unknown archive format", "dump", "--archive", "rar", "latest", "/src")
}

// forgetOldest shows a plan with --dry-run, then forgets by policy.
func forgetOldest(t *testing.T, c *repoCLI, first, second backupSummary) {
	t.Helper()
	var plan forgetPlan
	c.okJSON(&plan, "forget", "--keep-last", "1", "--dry-run", "--json")
	if len(plan.Remove) != 1 || plan.Remove[0] != first.ID || !plan.DryRun || plan.Removed != 0 {
		t.Errorf("forget --dry-run plan = %+v, want to remove %s only", plan, first.ShortID)
	}
	var sns []snapshotEntry
	c.okJSON(&sns, "snapshots", "--json")
	if len(sns) != 2 {
		t.Fatalf("after a dry run: %d snapshots, want 2", len(sns))
	}
	c.okJSON(&plan, "forget", "--keep-last", "1", "--json")
	if plan.Removed != 1 {
		t.Errorf("forget removed %d, want 1", plan.Removed)
	}
	c.okJSON(&sns, "snapshots", "--json")
	if len(sns) != 1 || sns[0].ID != second.ID {
		t.Errorf("after forget: %+v, want only %s", sns, second.ShortID)
	}
	c.wantExit(ExitUsage, "give snapshot ids, --keep-* rules, or both", "forget")
}

// pruneForgotten backs up data of its own, forgets that snapshot and
// prunes twice with no safety delay: the first prune (forget --prune) marks the packs only
// the forgotten snapshot used, the second deletes them.
func pruneForgotten(t *testing.T, c *repoCLI) {
	t.Helper()
	extra := filepath.Join(t.TempDir(), "extra")
	if err := os.MkdirAll(extra, 0o755); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 2<<20)
	if _, err := rand.NewChaCha8([32]byte{7}).Read(data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(extra, "unique.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	snap := backupJSON(t, c, extra)
	var before repoStats
	c.okJSON(&before, "stats", "--json")
	var plan forgetPlan
	c.okJSON(&plan, "forget", snap.ShortID, "--prune", "--safety-delay", "1ns", "--json")
	if plan.Removed != 1 || plan.Prune == nil || plan.Prune.PacksMarked == 0 || plan.Prune.BytesMarked < 2<<20 {
		t.Errorf("forget --prune: %+v (prune %+v), want the snapshot removed and its packs (2 MiB) marked", plan, plan.Prune)
	}
	var pr pruner.Report
	c.okJSON(&pr, "prune", "--safety-delay", "1ns", "--json")
	if pr.PacksDeleted == 0 || pr.BytesFreed < 2<<20 {
		t.Errorf("second prune: %+v, want the marked packs deleted", pr)
	}
	var after repoStats
	c.okJSON(&after, "stats", "--json")
	// Small packs still in use may have been combined into new ones on the
	// way (how the blobs fell into the packs of a run decides which packs
	// are small): those copies add their bytes back.
	var repacked int64
	if plan.Prune != nil {
		repacked = plan.Prune.BytesRepacked
	}
	if int64(before.PackBytes)-int64(after.PackBytes)+repacked < 2<<20 {
		t.Errorf("pack bytes went from %d to %d (%d repacked), want at least 2 MiB less", before.PackBytes, after.PackBytes, repacked)
	}
}

// checkIncludes restores two paths of the snapshot, each at its place.
func checkIncludes(t *testing.T, c *repoCLI, src string) {
	t.Helper()
	target := t.TempDir()
	c.ok("restore", "latest", "--target", target, "--include", "/src/a/b/c/deep.txt", "--include", "/src/logs")
	all := describeTree(t, src)
	want := map[string]string{}
	for _, p := range []string{"a/b/c/deep.txt", "logs", "logs/app.log"} {
		want[filepath.Join("src", p)] = all[p]
	}
	got := describeTree(t, target)
	for _, dir := range []string{".", "src", "src/a", "src/a/b", "src/a/b/c"} {
		delete(got, dir) // created to hold the included paths
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restore --include (-want +got):\n%s", diff)
	}
}
