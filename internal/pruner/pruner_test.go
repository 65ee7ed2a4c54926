package pruner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/policy"
)

const delay = time.Hour

func pruneOpts(c *clock) pruner.Options {
	return pruner.Options{Delay: delay, Now: c.Now}
}

func prune(t *testing.T, r *repo.Repository, opts pruner.Options) *pruner.Report {
	t.Helper()
	rep, err := pruner.Prune(context.Background(), r, opts)
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	return rep
}

func TestForget(t *testing.T) {
	c := newClock()
	s, r := initRepo(t, c)
	var ids []repo.ID
	for i := range 4 {
		ids = append(ids, mustBackup(t, r, c, map[string][]byte{"f": content(uint64(i), 100)}))
		c.Advance(time.Hour)
	}
	ctx := context.Background()
	keepLast := &policy.Policy{Last: 2}
	dry, err := pruner.Forget(ctx, r, pruner.ForgetOptions{Policy: keepLast, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.count(t, "snapshots/"); got != 4 {
		t.Errorf("dry run left %d snapshots, want 4", got)
	}
	rep, err := pruner.Forget(ctx, r, pruner.ForgetOptions{Policy: keepLast, IDs: []repo.ID{ids[3]}})
	if err != nil {
		t.Fatal(err)
	}
	want := sortIDs([]repo.ID{ids[0], ids[1], ids[3]})
	if diff := cmp.Diff(want, rep.Removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sortIDs([]repo.ID{ids[0], ids[1]}), dry.Removed); diff != "" {
		t.Errorf("dry run removed (-want +got):\n%s", diff)
	}
	var left []repo.ID
	r.ListSnapshots(ctx, func(id repo.ID, _ *repo.Snapshot) error { left = append(left, id); return nil })
	if diff := cmp.Diff([]repo.ID{ids[2]}, left); diff != "" {
		t.Errorf("snapshots left (-want +got):\n%s", diff)
	}
	if _, err := pruner.Forget(ctx, r, pruner.ForgetOptions{IDs: []repo.ID{ids[0]}}); !errors.Is(err, repo.ErrSnapshotNotFound) {
		t.Errorf("forgetting a forgotten snapshot: %v, want ErrSnapshotNotFound", err)
	}
}

func sortIDs(ids []repo.ID) []repo.ID {
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			if ids[j].String() < ids[i].String() {
				ids[i], ids[j] = ids[j], ids[i]
			}
		}
	}
	return ids
}

// twoGenerations stores an old snapshot and a new one sharing file a.
func twoGenerations(t *testing.T, r *repo.Repository, c *clock) (old, cur repo.ID, curFiles map[string][]byte) {
	t.Helper()
	// Saved in name order, 8 KiB packs of three 3000-byte blobs: pack 1
	// holds a (2 blobs) and b, so forgetting the old snapshot leaves it
	// two-thirds used; gone/x fills packs that become wholly unused.
	shared := content(1, 6000)
	old = mustBackup(t, r, c, map[string][]byte{"a": shared, "b": content(4, 3000), "gone/x": content(2, 12000)})
	curFiles = map[string][]byte{"a": shared, "c": content(3, 6000)}
	cur = mustBackup(t, r, c, curFiles)
	return old, cur, curFiles
}

func TestPruneFreesSpaceAfterTheDelay(t *testing.T) {
	c := newClock()
	s, r := initRepo(t, c)
	old, cur, curFiles := twoGenerations(t, r, c)
	if _, err := pruner.Forget(context.Background(), r, pruner.ForgetOptions{IDs: []repo.ID{old}}); err != nil {
		t.Fatal(err)
	}
	packsBefore := s.count(t, "data/")

	// Packs younger than the delay are not touched: they may belong to a
	// backup that is still running.
	if rep := prune(t, r, pruneOpts(c)); rep.PacksMarked != 0 || rep.Marker != nil {
		t.Errorf("prune marked %d young packs", rep.PacksMarked)
	}
	c.Advance(delay + time.Minute)
	rep := prune(t, r, pruneOpts(c))
	if rep.PacksMarked == 0 || rep.Marker == nil || rep.BytesMarked == 0 || rep.PacksDeleted != 0 {
		t.Fatalf("first prune after the delay: %+v; want packs marked, none deleted", rep)
	}
	verify(t, s, map[repo.ID]map[string][]byte{cur: curFiles})

	// Not due yet: nothing deleted.
	c.Advance(delay / 2)
	rep2 := prune(t, r, pruneOpts(c))
	if rep2.PacksDeleted != 0 || rep2.MarkersPending != 1 {
		t.Errorf("prune before the marker is due: %+v", rep2)
	}
	c.Advance(delay)
	rep3 := prune(t, r, pruneOpts(c))
	if rep3.PacksDeleted != rep.PacksMarked || rep3.BytesFreed != rep.BytesMarked || rep3.MarkersDue != 1 {
		t.Errorf("sweep deleted %d packs (%d bytes), want the %d marked (%d bytes): %+v",
			rep3.PacksDeleted, rep3.BytesFreed, rep.PacksMarked, rep.BytesMarked, rep3)
	}
	if got, want := s.count(t, "data/"), packsBefore-rep.PacksMarked; got != want {
		t.Errorf("%d packs left, want %d", got, want)
	}
	if n := s.count(t, "gc/"); n != 0 {
		t.Errorf("%d markers left after the sweep", n)
	}
	verify(t, s, map[repo.ID]map[string][]byte{cur: curFiles})

	// Nothing left to do.
	c.Advance(2 * delay)
	if rep := prune(t, r, pruneOpts(c)); rep.PacksMarked != 0 || rep.PacksRepacked != 0 || rep.PacksDeleted != 0 {
		t.Errorf("prune of a clean repository did something: %+v", rep)
	}
}

func TestRepack(t *testing.T) {
	c := newClock()
	s, r := initRepo(t, c)
	old, cur, curFiles := twoGenerations(t, r, c)
	if _, err := pruner.Forget(context.Background(), r, pruner.ForgetOptions{IDs: []repo.ID{old}}); err != nil {
		t.Fatal(err)
	}
	c.Advance(delay + time.Minute)
	opts := pruneOpts(c)
	opts.RepackBelow = 0.8
	phases := map[string]bool{}
	opts.Progress = func(p pruner.Progress) { phases[p.Phase] = true }
	rep := prune(t, r, opts)
	if diff := cmp.Diff(map[string]bool{"snapshots": true, "repack": true, "mark": true}, phases); diff != "" {
		t.Errorf("progress phases of a marking run (-want +got):\n%s", diff)
	}
	if rep.PacksRepacked == 0 || rep.BlobsRepacked == 0 || rep.BytesRepacked == 0 {
		t.Fatalf("nothing repacked with an 80%% threshold: %+v", rep)
	}
	verify(t, s, map[repo.ID]map[string][]byte{cur: curFiles})
	c.Advance(delay + time.Minute)
	clear(phases)
	rep2 := prune(t, r, opts)
	if !phases["sweep"] {
		t.Errorf("no progress reported for the sweep: %v", phases)
	}
	if want := rep.PacksMarked + rep.PacksRepacked; rep2.PacksDeleted != want {
		t.Errorf("sweep deleted %d packs, want %d (marked) + %d (repacked)", rep2.PacksDeleted, rep.PacksMarked, rep.PacksRepacked)
	}
	verify(t, s, map[repo.ID]map[string][]byte{cur: curFiles})
	// The live data is now in packs written by the repack only.
	c.Advance(delay + time.Minute)
	if rep3 := prune(t, r, opts); rep3.PacksRepacked != 0 || rep3.PacksMarked != 0 {
		t.Errorf("second repack found work: %+v", rep3)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	c := newClock()
	s, r := initRepo(t, c)
	old, _, _ := twoGenerations(t, r, c)
	if _, err := pruner.Forget(context.Background(), r, pruner.ForgetOptions{IDs: []repo.ID{old}}); err != nil {
		t.Fatal(err)
	}
	c.Advance(delay + time.Minute)
	before := s.names(t)
	opts := pruneOpts(c)
	opts.DryRun = true
	opts.RepackBelow = 0.99
	dry := prune(t, r, opts)
	if diff := cmp.Diff(before, s.names(t)); diff != "" {
		t.Errorf("dry run changed the store (-before +after):\n%s", diff)
	}
	opts.DryRun = false
	real := prune(t, r, opts)
	dry.DryRun, dry.Marker, dry.IndexesReplaced = false, real.Marker, real.IndexesReplaced
	if diff := cmp.Diff(real, dry); diff != "" {
		t.Errorf("dry-run plan differs from the real run (-real +dry):\n%s", diff)
	}
	if real.PacksMarked == 0 {
		t.Errorf("nothing to do: the test proves nothing")
	}
}

func TestRefusesDamagedRepository(t *testing.T) {
	c := newClock()
	s, r := initRepo(t, c)
	old, cur, _ := twoGenerations(t, r, c)
	if _, err := pruner.Forget(context.Background(), r, pruner.ForgetOptions{IDs: []repo.ID{old}}); err != nil {
		t.Fatal(err)
	}
	sn, err := r.LoadSnapshot(context.Background(), cur)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := r.LookupBlob(repo.TreeBlob, sn.Tree)
	packName := "data/" + pb.Pack.String()[:2] + "/" + pb.Pack.String()
	if err := s.Store.Delete(context.Background(), packName); err != nil {
		t.Fatal(err)
	}
	c.Advance(delay + time.Minute)
	before := s.names(t)
	_, err = pruner.Prune(context.Background(), r, pruneOpts(c))
	if !errors.Is(err, pruner.ErrDamaged) {
		t.Fatalf("prune of a repository with a lost tree: %v, want ErrDamaged", err)
	}
	if diff := cmp.Diff(before, s.names(t)); diff != "" {
		t.Errorf("prune changed a damaged repository (-before +after):\n%s", diff)
	}
	if !strings.Contains(err.Error(), sn.Tree.Short()) {
		t.Errorf("error %q does not name the tree", err)
	}
}

func TestInvalidRepackThreshold(t *testing.T) {
	c := newClock()
	_, r := initRepo(t, c)
	opts := pruneOpts(c)
	opts.RepackBelow = 1.5
	if _, err := pruner.Prune(context.Background(), r, opts); !errors.Is(err, arca.ErrInvalidArgument) {
		t.Errorf("prune with a threshold of 1.5: %v, want an invalid-argument error", err)
	}
}

func TestRepackSmallPacks(t *testing.T) {
	c := newClock()
	s, r := initRepo(t, c)
	want := map[repo.ID]map[string][]byte{}
	for i := range 5 {
		files := map[string][]byte{fmt.Sprintf("f%d", i): content(uint64(300+i), 400)}
		want[mustBackup(t, r, c, files)] = files
	}
	before := s.count(t, "data/")
	if before < 5 {
		t.Fatalf("fixture: %d packs, want one small pack per backup", before)
	}
	c.Advance(delay + time.Minute)
	off := pruneOpts(c)
	off.NoRepackSmall = true
	if rep := prune(t, r, off); rep.PacksRepacked != 0 {
		t.Errorf("NoRepackSmall: repacked %d packs", rep.PacksRepacked)
	}
	rep := prune(t, r, pruneOpts(c))
	if rep.PacksRepacked != before {
		t.Errorf("repacked %d of %d small packs", rep.PacksRepacked, before)
	}
	c.Advance(delay + time.Minute)
	prune(t, r, pruneOpts(c))
	if got := s.count(t, "data/"); got >= before {
		t.Errorf("%d packs after the sweep, want fewer than the %d small ones", got, before)
	}
	verify(t, s, want)
}
