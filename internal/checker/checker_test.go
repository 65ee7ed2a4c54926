package checker_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arcabackup/arca/internal/checker"
	"github.com/arcabackup/arca/internal/repo"
)

// twoSnapshots stores two snapshots that share most files.
func twoSnapshots(f *fixture) (first, second map[string][]byte) {
	first = map[string][]byte{
		"a/x": f.content(7000), "a/y": f.content(2000), "b/z": f.content(5000),
		"top": f.content(100), "d/e/deep": f.content(6500),
	}
	f.snapshot(first)
	second = map[string][]byte{}
	for k, v := range first {
		second[k] = v
	}
	second["b/z"] = f.content(5000)
	second["c/w"] = f.content(4000)
	f.snapshot(second)
	return first, second
}

func check(t *testing.T, r checker.Repo, opts checker.Options) *checker.Report {
	t.Helper()
	rep, err := checker.Check(context.Background(), r, opts)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return rep
}

var affectedOpts = cmp.Options{
	cmpopts.IgnoreFields(checker.AffectedSnapshot{}, "Time"),
	cmpopts.SortSlices(func(a, b checker.AffectedSnapshot) bool { return a.Snapshot.String() < b.Snapshot.String() }),
	cmpopts.EquateEmpty(),
}

func TestCleanRepository(t *testing.T) {
	f := newFixture(t)
	twoSnapshots(f)
	phases := map[string]bool{}
	for _, opts := range []checker.Options{{}, {ReadData: true}} {
		opts.Progress = func(p checker.Progress) { phases[p.Phase] = true }
		rep := check(t, f.r, opts)
		if !rep.OK() {
			t.Errorf("clean repository (read data %v) reported problems:\n%s", opts.ReadData, rep)
		}
		if rep.Snapshots != 2 || rep.Trees != 8 || rep.Packs == 0 {
			t.Errorf("counted %d snapshots, %d trees, %d packs; want 2, 8, > 0", rep.Snapshots, rep.Trees, rep.Packs)
		}
		if opts.ReadData && (rep.PacksRead != rep.Packs || rep.BytesRead == 0) {
			t.Errorf("read %d of %d packs (%d bytes), want all", rep.PacksRead, rep.Packs, rep.BytesRead)
		}
	}
	for _, p := range []string{"index", "packs", "snapshots", "read-data"} {
		if !phases[p] {
			t.Errorf("no progress reported for phase %q", p)
		}
	}
}

func TestFlippedByte(t *testing.T) {
	f := newFixture(t)
	first, _ := twoSnapshots(f)
	victim := f.packOf(repo.DataBlob, first["a/x"])
	f.flip(victim.Pack, int64(victim.Offset)+10)

	if rep := check(t, f.r, checker.Options{}); !rep.OK() {
		t.Errorf("structure check should not see a flipped data byte, reported:\n%s", rep)
	}
	rep := check(t, f.r, checker.Options{ReadData: true})
	wantPacks := []checker.PackProblem{{Pack: victim.Pack, Problem: fmt.Sprintf("1 of its %d blobs are damaged", f.blobsIn(victim.Pack))}}
	if diff := cmp.Diff(wantPacks, rep.DamagedPacks); diff != "" {
		t.Errorf("damaged packs (-want +got):\n%s", diff)
	}
	if len(rep.DamagedBlobs) != 1 || rep.DamagedBlobs[0].ID != victim.ID || rep.DamagedBlobs[0].Pack != victim.Pack {
		t.Errorf("damaged blobs = %+v, want only blob %s in pack %s", rep.DamagedBlobs, victim.ID.Short(), victim.Pack.Short())
	}
	want := f.expectAffected(map[repo.ID]bool{victim.ID: true})
	if len(want) != 2 {
		t.Fatalf("fixture: the victim blob should be in both snapshots, expectation %+v", want)
	}
	if diff := cmp.Diff(want, rep.Affected, affectedOpts); diff != "" {
		t.Errorf("affected (-want +got):\n%s", diff)
	}
}

func TestFlippedByteInTree(t *testing.T) {
	f := newFixture(t)
	twoSnapshots(f)
	var anyLayout layout
	for _, l := range f.layouts {
		anyLayout = l
	}
	treeID := anyLayout.dirs["/d/e"]
	pb, ok := f.r.LookupBlob(repo.TreeBlob, treeID)
	if !ok {
		t.Fatal("tree /d/e not in the index")
	}
	f.flip(pb.Pack, int64(pb.Offset)+int64(pb.Length)/2)
	rep := check(t, f.r, checker.Options{ReadData: true})
	want := f.expectAffected(map[repo.ID]bool{treeID: true})
	if diff := cmp.Diff(want, rep.Affected, affectedOpts); diff != "" {
		t.Errorf("affected (-want +got):\n%s", diff)
	}
	if rep.OK() || len(rep.DamagedPacks) != 1 {
		t.Errorf("want one damaged pack, got:\n%s", rep)
	}
}

// lostInPack returns the blobs of pack whose bytes end beyond cut.
func lostInPack(f *fixture, pack repo.ID, cut int64) map[repo.ID]bool {
	lost := map[repo.ID]bool{}
	f.r.EachBlob(func(pb repo.PackedBlob) error {
		if pb.Pack == pack && int64(pb.Offset)+int64(pb.Length) > cut {
			lost[pb.ID] = true
		}
		return nil
	})
	return lost
}

func TestTruncatedPack(t *testing.T) {
	f := newFixture(t)
	first, _ := twoSnapshots(f)
	victim := f.packOf(repo.DataBlob, first["d/e/deep"])
	p := f.packPath(victim.Pack)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	cut := fi.Size() / 2
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, cut); err != nil {
		t.Fatal(err)
	}
	// The structure check alone finds it, and reads the damaged pack to
	// name exactly the lost blobs.
	rep := check(t, f.r, checker.Options{})
	if len(rep.DamagedPacks) != 1 || rep.DamagedPacks[0].Pack != victim.Pack {
		t.Fatalf("damaged packs = %+v, want pack %s", rep.DamagedPacks, victim.Pack.Short())
	}
	lost := lostInPack(f, victim.Pack, cut)
	if len(lost) == 0 || len(f.expectAffected(lost)) == 0 {
		t.Fatalf("fixture: truncating at %d loses no referenced blob", cut)
	}
	var gotLost []repo.ID
	for _, b := range rep.DamagedBlobs {
		gotLost = append(gotLost, b.ID)
	}
	if diff := cmp.Diff(keys(lost), sortIDs(gotLost)); diff != "" {
		t.Errorf("damaged blobs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(f.expectAffected(lost), rep.Affected, affectedOpts); diff != "" {
		t.Errorf("affected (-want +got):\n%s", diff)
	}
}

func TestDeletedPack(t *testing.T) {
	f := newFixture(t)
	_, second := twoSnapshots(f)
	victim := f.packOf(repo.DataBlob, second["c/w"])
	if err := os.Remove(f.packPath(victim.Pack)); err != nil {
		t.Fatal(err)
	}
	rep := check(t, f.r, checker.Options{})
	wantMissing := []checker.PackProblem{{Pack: victim.Pack, Problem: "named by the index but absent from the store"}}
	if diff := cmp.Diff(wantMissing, rep.MissingPacks); diff != "" {
		t.Errorf("missing packs (-want +got):\n%s", diff)
	}
	lost := lostInPack(f, victim.Pack, 0)
	if len(f.expectAffected(lost)) == 0 {
		t.Fatal("fixture: the deleted pack holds no referenced blob")
	}
	if diff := cmp.Diff(f.expectAffected(lost), rep.Affected, affectedOpts); diff != "" {
		t.Errorf("affected (-want +got):\n%s", diff)
	}
}

func TestDeletedIndex(t *testing.T) {
	f := newFixture(t)
	first := map[string][]byte{"a/x": f.content(7000), "top": f.content(100)}
	s1 := f.snapshot(first)
	before := map[string]bool{}
	for _, n := range f.indexObjects() {
		before[n] = true
	}
	s2 := f.snapshot(map[string][]byte{"a/x": first["a/x"], "top": first["top"], "new/file": f.content(4000)})
	var removed []string
	for _, n := range f.indexObjects() {
		if !before[n] {
			removed = append(removed, n)
			if err := os.Remove(filepath.Join(f.dir, filepath.FromSlash(n))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(removed) == 0 {
		t.Fatal("the second snapshot wrote no index object")
	}
	f.reopen()
	rep := check(t, f.r, checker.Options{ReadData: true})
	// The second snapshot's root tree was only in the removed index.
	want := []checker.AffectedSnapshot{{Snapshot: s2, Dirs: []string{"/"}}}
	if diff := cmp.Diff(want, rep.Affected, affectedOpts); diff != "" {
		t.Errorf("affected (-want +got):\n%s", diff)
	}
	if len(rep.MissingBlobs) != 1 || rep.MissingBlobs[0].ID != f.layouts[s2].dirs["/"] {
		t.Errorf("missing blobs = %+v, want the root tree of the second snapshot", rep.MissingBlobs)
	}
	if len(rep.UnindexedPacks) == 0 {
		t.Errorf("no unindexed packs reported; the removed index named some")
	}
	_ = s1
}

func TestReadDataSubsets(t *testing.T) {
	f := newFixture(t)
	twoSnapshots(f)
	all := check(t, f.r, checker.Options{}).Packs
	total := 0
	for n := 1; n <= 3; n++ {
		rep := check(t, f.r, checker.Options{ReadDataSubset: checker.Subset{N: n, M: 3}})
		total += rep.PacksRead
	}
	if total != all {
		t.Errorf("subsets 1/3, 2/3, 3/3 read %d packs in all, want each of the %d once", total, all)
	}
	rep := check(t, f.r, checker.Options{ReadDataPercent: 50, Rand: rand.New(rand.NewPCG(7, 7))})
	if want := int(math.Ceil(float64(all) / 2)); rep.PacksRead != want {
		t.Errorf("50%% read %d packs, want %d of %d", rep.PacksRead, want, all)
	}
	for _, bad := range []checker.Options{
		{ReadDataSubset: checker.Subset{N: 0, M: 3}},
		{ReadDataSubset: checker.Subset{N: 4, M: 3}},
		{ReadDataPercent: 101},
	} {
		if _, err := checker.Check(context.Background(), f.r, bad); err == nil {
			t.Errorf("Check accepted invalid options %+v", bad)
		}
	}
}

func keys(m map[repo.ID]bool) []repo.ID {
	var out []repo.ID
	for k := range m {
		out = append(out, k)
	}
	return sortIDs(out)
}

func sortIDs(ids []repo.ID) []repo.ID {
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	return ids
}

func TestDamagedSnapshotObject(t *testing.T) {
	f := newFixture(t)
	_, second := twoSnapshots(f)
	_ = second
	var victim repo.ID
	for id := range f.layouts {
		victim = id
		break
	}
	p := filepath.Join(f.dir, "snapshots", victim.String())
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := check(t, f.r, checker.Options{})
	if rep.OK() || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], victim.String()) {
		t.Errorf("errors = %q; want one naming snapshot %s", rep.Errors, victim.Short())
	}
	if rep.Snapshots != 1 || rep.Trees == 0 {
		t.Errorf("checked %d snapshots and %d trees; want the other snapshot checked", rep.Snapshots, rep.Trees)
	}
}

func TestDamagedPackHeader(t *testing.T) {
	f := newFixture(t)
	first, _ := twoSnapshots(f)
	victim := f.packOf(repo.DataBlob, first["a/y"])
	fi, err := os.Stat(f.packPath(victim.Pack))
	if err != nil {
		t.Fatal(err)
	}
	f.flip(victim.Pack, fi.Size()-10) // inside the sealed header
	rep := check(t, f.r, checker.Options{})
	if len(rep.DamagedPacks) != 1 || rep.DamagedPacks[0].Pack != victim.Pack ||
		!strings.Contains(rep.DamagedPacks[0].Problem, "header unreadable") {
		t.Fatalf("damaged packs = %+v; want pack %s with an unreadable header", rep.DamagedPacks, victim.Pack.Short())
	}
	// The blobs themselves are intact, and the index still finds them:
	// nothing is lost, and the report says so.
	if len(rep.DamagedBlobs) != 0 || len(rep.Affected) != 0 {
		t.Errorf("a damaged header lost blobs: %+v, affected %+v", rep.DamagedBlobs, rep.Affected)
	}
}
