package pruner_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/policy"
	"github.com/arcabackup/arca/internal/repo/repotest"
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

// Backups run on their own Repository (as separate processes would) while
// forget and prune run in a loop and the clock races ahead; every snapshot
// left at the end must check clean and read back exactly.
func TestConcurrentBackupsAndPrune(t *testing.T) {
	c := newClock()
	s, r := initRepo(t, c)
	ws := newWriters()
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
				rw := openWriter(t, s, c)
				id := ws.start(c.Now())
				snap, err := backup(context.Background(), rw, c.Now(), files)
				ws.end(id)
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
	if len(left) != 2 {
		t.Errorf("%d snapshots left, want the 2 kept", len(left))
	}
	verify(t, s, left)
	if deleted == 0 {
		t.Errorf("no pack was ever deleted: the test exercised nothing")
	}
	t.Logf("%d backups, %d packs deleted, %d repacked", writersN*backupsEach, deleted, repacked)
}
