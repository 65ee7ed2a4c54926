package pruner_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/policy"
	"github.com/arcabackup/arca/internal/repo/repotest"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// writers tracks running backups, as the task engine does.
type writers struct {
	mu      sync.Mutex
	running map[int]time.Time
	next    int
}

func newWriters() *writers { return &writers{running: map[int]time.Time{}} }

func (w *writers) start(t time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next++
	w.running[w.next] = t
	return w.next
}

func (w *writers) end(id int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.running, id)
}

func (w *writers) oldest(context.Context) (time.Time, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var min time.Time
	found := false
	for _, t := range w.running {
		if !found || t.Before(min) {
			min, found = t, true
		}
	}
	return min, found, nil
}

func openWriter(t testing.TB, s blob.Store, c *clock) *repo.Repository {
	t.Helper()
	opts := openOpts
	opts.Now = c.Now
	r, err := repo.Open(context.Background(), s, repotest.Password, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// A backup opened before prune marked a pack, and reused blobs of it
// (they were in its index). Its snapshot must survive the sweep: prune
// indexes the pack again instead of deleting it.
func TestBackupReusingAMarkedPack(t *testing.T) {
	for _, mode := range []struct{ tracked, reconcile bool }{{false, false}, {true, false}, {false, true}} {
		tracked := mode.tracked
		t.Run(fmt.Sprintf("tracked=%v,reconcile=%v", mode.tracked, mode.reconcile), func(t *testing.T) {
			c := newClock()
			s, r := initRepo(t, c)
			ws := newWriters()
			opts := pruneOpts(c)
			if tracked {
				opts.OldestWriter = ws.oldest
			}
			x := content(10, 9000)
			old := mustBackup(t, r, c, map[string][]byte{"x": x})
			keepFiles := map[string][]byte{"y": content(11, 3000)}
			keep := mustBackup(t, r, c, keepFiles)
			c.Advance(delay + time.Minute)

			w := openWriter(t, s, c) // its index shows x's blobs
			wid := ws.start(c.Now())
			if _, err := pruner.Forget(context.Background(), r, pruner.ForgetOptions{IDs: []repo.ID{old}}); err != nil {
				t.Fatal(err)
			}
			if rep := prune(t, r, opts); rep.PacksMarked == 0 {
				t.Fatalf("x's packs were not marked: %+v", rep)
			}
			if tracked {
				// Due by time, but the backup that started before the
				// marker still runs.
				c.Advance(delay + time.Minute)
				if rep := prune(t, r, opts); rep.MarkersBlocked != 1 || rep.PacksDeleted != 0 {
					t.Errorf("prune while an older backup runs: %+v", rep)
				}
			}
			snap, err := backup(context.Background(), w, c.Now(), map[string][]byte{"x": x})
			if err != nil {
				t.Fatal(err)
			}
			ws.end(wid)
			if st := w.Stats(); st.DataBlobs != 0 {
				t.Fatalf("the backup stored %d data blobs; the test needs it to reuse x's", st.DataBlobs)
			}
			if !mode.reconcile {
				readWhileHidden(t, s, snap, x)
			}
			if mode.reconcile {
				// Reconcile, called after the backup, makes its snapshot whole
				// at once; a second call has nothing to do.
				n, err := pruner.Reconcile(context.Background(), w, snap)
				if err != nil || n == 0 {
					t.Fatalf("Reconcile = %d, %v; want the hidden packs indexed again", n, err)
				}
				verify(t, s, map[repo.ID]map[string][]byte{keep: keepFiles, snap: {"x": x}})
				if n, err := pruner.Reconcile(context.Background(), w, snap); err != nil || n != 0 {
					t.Errorf("second Reconcile = %d, %v; want 0, nil", n, err)
				}
			}
			c.Advance(delay + time.Minute)
			rep := prune(t, r, opts)
			if rep.PacksDeleted != 0 || rep.MarkersDue != 1 {
				t.Errorf("sweep after the backup: %+v; want nothing deleted", rep)
			}
			if !mode.reconcile && rep.PacksResurrect == 0 {
				t.Errorf("sweep after the backup: %+v; want x's packs indexed again", rep)
			}
			if mode.reconcile && rep.PacksKept == 0 {
				t.Errorf("sweep after a reconciled backup: %+v; want x's packs kept", rep)
			}
			verify(t, s, map[repo.ID]map[string][]byte{keep: keepFiles, snap: {"x": x}})
			// Later prunes find nothing wrong and keep it.
			c.Advance(3 * delay)
			prune(t, r, opts)
			c.Advance(3 * delay)
			prune(t, r, opts)
			verify(t, s, map[repo.ID]map[string][]byte{keep: keepFiles, snap: {"x": x}})
		})
	}
}

// readWhileHidden opens the repository now, while the pack of x's blobs is
// hidden by the mark and not yet indexed again (no reconcile, no sweep),
// and reads the snapshot: LoadBlob finds those blobs in the packs the
// deletion marker names.
func readWhileHidden(t *testing.T, s blob.Store, snap repo.ID, x []byte) {
	t.Helper()
	r := openRepo(t, s)
	sn, err := r.LoadSnapshot(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	buf, err := r.LoadBlob(context.Background(), repo.TreeBlob, sn.Tree, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := tree.Decode(buf)
	if err != nil {
		t.Fatal(err)
	}
	hidden := 0
	for _, n := range tr.Nodes {
		for _, c := range n.Content {
			if !r.HasBlob(repo.DataBlob, c) {
				hidden++
			}
		}
	}
	if hidden == 0 {
		t.Fatal("no blob of x is hidden from the index; the test needs some")
	}
	got := map[string][]byte{}
	readTree(t, r, sn.Tree, "", got)
	if !bytes.Equal(got["x"], x) {
		t.Errorf("x reads back %d bytes while its pack is hidden, differing from the %d saved", len(got["x"]), len(x))
	}
}

// Backups run on their own Repository (as separate processes would) while
// forget and prune run in a loop and the clock races ahead; every snapshot
// left at the end must check clean and read back exactly.
func TestConcurrentBackupsAndPrune(t *testing.T) {
	c := newClock()
	s, r := initRepo(t, c)
	ws := newWriters()
	runs := newPruneRuns()
	pool := make([][]byte, 10)
	for i := range pool {
		pool[i] = content(uint64(100+i), 3000+i*700)
	}
	var mu sync.Mutex
	saved := map[repo.ID]map[string][]byte{}
	const writersN, backupsEach = 3, 5
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := range writersN {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range backupsEach {
				files := map[string][]byte{fmt.Sprintf("new-%d-%d", w, b): content(uint64(1000+w*100+b), 4000)}
				for i := range 3 {
					k := (w*7 + b*3 + i) % len(pool)
					files[fmt.Sprintf("pool/%d", k)] = pool[k]
				}
				snap, err := backupAndRead(t, s, c, ws, runs, fmt.Sprintf("host-%d", w), time.Duration(b), files)
				if err != nil {
					failed.Store(err)
					return
				}
				mu.Lock()
				saved[snap] = files
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	opts := pruneOpts(c)
	opts.OldestWriter = ws.oldest
	opts.RepackBelow = 0.8
	var deleted, repacked int
	step := func() {
		defer runs.finished()
		c.Advance(delay / 2)
		if _, err := pruner.Forget(context.Background(), r, pruner.ForgetOptions{Policy: &policy.Policy{Last: 2}}); err != nil {
			t.Fatalf("forget: %v", err)
		}
		rep, err := pruner.Prune(context.Background(), r, opts)
		if err != nil {
			t.Fatalf("prune: %v", err)
		}
		deleted += rep.PacksDeleted
		repacked += rep.PacksRepacked
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			step()
		}
	}
	for range 6 {
		step()
	}
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("a backup failed: %v", err)
	}
	left := map[repo.ID]map[string][]byte{}
	err := openRepo(t, s).ListSnapshots(context.Background(), func(id repo.ID, _ *repo.Snapshot) error {
		left[id] = saved[id]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2*writersN {
		t.Errorf("%d snapshots left, want the 2 kept per writer", len(left))
	}
	verify(t, s, left)
	if deleted == 0 {
		t.Errorf("no pack was ever deleted: the test exercised nothing")
	}
	t.Logf("%d backups, %d packs deleted, %d repacked", writersN*backupsEach, deleted, repacked)
}

// backupAndRead runs one backup on its own Repository, reconciles it and
// reads it back at once, all as one tracked backup (the reader counts as
// running: the delay that protects readers is no protection with a clock
// racing ahead). One retention group per host: its newest snapshot (its
// time is offset by seq, so that it is the newest even when the clock has
// not moved) is never forgotten before the host's next backup.
func backupAndRead(t *testing.T, s blob.Store, c *clock, ws *writers, runs *pruneRuns, host string, seq time.Duration, files map[string][]byte) (repo.ID, error) {
	ctx := context.Background()
	// Recorded before the repository is opened: the start of a backup must
	// not be later than the moment it loads the index.
	start := c.Now()
	id := ws.start(start)
	defer ws.end(id)
	rw := openWriter(t, s, c)
	snap, err := backupAs(ctx, rw, c.Now().Add(seq), host, files)
	if err != nil {
		return snap, err
	}
	if _, err := pruner.Reconcile(ctx, rw, snap); err != nil {
		return snap, fmt.Errorf("reconcile: %w", err)
	}
	got, err := readSnapshot(ctx, s, snap)
	if errors.Is(err, repo.ErrBlobNotFound) {
		// The backup raced a prune that hid a pack it reused, after the
		// reconcile looked: the prune's own recheck indexes it again
		// before that run ends (docs/garbage-collection.md).
		if werr := runs.waitOne(); werr != nil {
			return snap, werr
		}
		got, err = readSnapshot(ctx, s, snap)
	}
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "blob "); i >= 0 && len(msg) > i+13 {
			msg += " [" + diagnose(s, msg[i+5:i+13]) + "]"
		}
		return snap, fmt.Errorf("read back snapshot %s at once (started %s): %s", snap.Short(), start.Format("15:04:05"), msg)
	}
	for name, data := range files {
		if string(got[name]) != string(data) {
			return snap, fmt.Errorf("snapshot %s: %s differs", snap.Short(), name)
		}
	}
	return snap, nil
}

// pruneRuns signals the end of each prune run of the test's loop.
type pruneRuns struct {
	mu sync.Mutex
	ch chan struct{}
}

func newPruneRuns() *pruneRuns { return &pruneRuns{ch: make(chan struct{})} }

func (p *pruneRuns) finished() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.ch)
	p.ch = make(chan struct{})
}

// waitOne waits for the end of the run in progress (or of the next one).
func (p *pruneRuns) waitOne() error {
	p.mu.Lock()
	ch := p.ch
	p.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-time.After(time.Minute):
		return errors.New("no prune run ended within a minute")
	}
}

// A running backup's uploaded pack has no index object yet. Once older
// than the delay it is an orphan to prune, unless prune knows the backup
// still runs; and if marked, the backup's index object makes it visible
// again, so the sweep keeps it.
func TestRunningBackupsPacks(t *testing.T) {
	for _, tracked := range []bool{true, false} {
		t.Run(fmt.Sprintf("tracked=%v", tracked), func(t *testing.T) {
			c := newClock()
			s, _ := initRepo(t, c)
			ws := newWriters()
			opts := pruneOpts(c)
			if tracked {
				opts.OldestWriter = ws.oldest
			}
			ctx := context.Background()
			wid := ws.start(c.Now())
			w := openWriter(t, s, c)
			files := map[string][]byte{"big": content(70, 20000)}
			root, err := saveTree(ctx, w, "", files)
			if err != nil {
				t.Fatal(err)
			}
			// Uploads run in the background: wait for them.
			waitFor(t, func() bool { return s.count(t, "data/") >= 2 })
			if s.count(t, "index/") != 0 {
				t.Fatalf("fixture: want uploaded packs and no index object yet")
			}
			c.Advance(2 * delay)
			rep := prune(t, openRepo(t, s), opts)
			if tracked && rep.PacksMarked != 0 {
				t.Errorf("marked %d packs of a backup known to run", rep.PacksMarked)
			}
			if !tracked && rep.PacksUnindexed == 0 {
				t.Errorf("untracked: the old unindexed packs were not marked: %+v", rep)
			}
			if err := w.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			snap, err := w.SaveSnapshot(ctx, &repo.Snapshot{Time: c.Now(), Hostname: "h", Tree: root})
			if err != nil {
				t.Fatal(err)
			}
			ws.end(wid)
			c.Advance(2 * delay)
			rep = prune(t, openRepo(t, s), opts)
			if rep.PacksDeleted != 0 {
				t.Errorf("deleted %d packs of the backup: %+v", rep.PacksDeleted, rep)
			}
			verify(t, s, map[repo.ID]map[string][]byte{snap: files})
		})
	}
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		runtime.Gosched()
	}
}
