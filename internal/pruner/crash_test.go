package pruner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
)

// crashFixture builds a repository where one prune run has work in both
// phases: a due marker to sweep, packs to hide and a pack to repack.
func crashFixture(t *testing.T) (*clock, *testStore, *repo.Repository, map[repo.ID]map[string][]byte) {
	t.Helper()
	c := newClock()
	s, r := initRepo(t, c)
	ctx := context.Background()
	old, cur, curFiles := twoGenerations(t, r, c)
	older := mustBackup(t, r, c, map[string][]byte{"o": content(50, 7000)})
	if _, err := pruner.Forget(ctx, r, pruner.ForgetOptions{IDs: []repo.ID{older}}); err != nil {
		t.Fatal(err)
	}
	c.Advance(delay + time.Minute)
	if rep := prune(t, r, crashOpts(c)); rep.Marker == nil {
		t.Fatalf("setup: no marker: %+v", rep)
	}
	if _, err := pruner.Forget(ctx, r, pruner.ForgetOptions{IDs: []repo.ID{old}}); err != nil {
		t.Fatal(err)
	}
	c.Advance(delay + time.Minute)
	return c, s, r, map[repo.ID]map[string][]byte{cur: curFiles}
}

func crashOpts(c *clock) pruner.Options {
	o := pruneOpts(c)
	o.RepackBelow = 0.8
	return o
}

// settle runs prunes until nothing is pending and returns the pack count.
func settle(t *testing.T, s *testStore, c *clock) int {
	t.Helper()
	for range 3 {
		c.Advance(2 * delay)
		if rep, err := pruner.Prune(context.Background(), openRepo(t, s), crashOpts(c)); err != nil {
			t.Fatalf("prune after the crash: %v", err)
		} else {
			t.Logf("settle: %+v", rep)
		}
	}
	if n := s.count(t, "gc/"); n != 0 {
		t.Errorf("%d markers left after settling", n)
	}
	return s.count(t, "data/")
}

// A prune killed at its Nth write or delete, for every N, leaves a
// repository that checks clean and reads; later prunes finish the job and
// end where an uninterrupted prune ends.
func TestPruneKilledAtEveryStep(t *testing.T) {
	c, s, r, want := crashFixture(t)
	first := prune(t, r, crashOpts(c))
	if first.PacksDeleted == 0 || first.PacksRepacked == 0 || first.PacksMarked == 0 {
		t.Fatalf("fixture: the reference run should sweep, repack and mark: %+v", first)
	}
	wantPacks := settle(t, s, c)
	verify(t, s, want)

	for n := int64(1); ; n++ {
		c, s, r, want := crashFixture(t)
		s.failNth(n)
		_, err := pruner.Prune(context.Background(), r, crashOpts(c))
		s.failNth(0)
		if err == nil {
			if n < 4 {
				t.Fatalf("prune needed only %d writes: the test proves little", n-1)
			}
			t.Logf("killed prune at each of its %d writes and deletes", n-1)
			break
		}
		if !errors.Is(err, errInjected) {
			t.Fatalf("kill at %d: prune failed with %v, want the injected failure", n, err)
		}
		verify(t, s, want)
		if got := settle(t, s, c); got != wantPacks {
			t.Errorf("kill at %d: %d packs after settling, want %d as without the kill", n, got, wantPacks)
		}
		verify(t, s, want)
	}
}

// Canceling the context mid-prune is a kill too.
func TestPruneCanceled(t *testing.T) {
	for n := int64(1); n < 12; n++ {
		c, s, r, want := crashFixture(t)
		ctx, cancel := context.WithCancel(context.Background())
		s.onMutation = func(k int64) {
			if k == n {
				cancel()
			}
		}
		_, err := pruner.Prune(ctx, r, crashOpts(c))
		s.onMutation = nil
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel at %d: %v, want context.Canceled", n, err)
		}
		verify(t, s, want)
		settle(t, s, c)
		verify(t, s, want)
	}
}
