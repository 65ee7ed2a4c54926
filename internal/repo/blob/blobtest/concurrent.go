package blobtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/arcabackup/arca/internal/repo/blob"
)

func testConcurrentDistinct(t *testing.T, s blob.Store) {
	const writers, each = 32, 4
	var g errgroup.Group
	for w := range writers {
		g.Go(func() error {
			for i := range each {
				name := fmt.Sprintf("data/%02x/w%d-%d", w, w, i)
				if err := s.Put(t.Context(), name, randomData(uint64(w*each+i), 4096+w)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("concurrent Put: %v", err)
	}
	for w := range writers {
		for i := range each {
			checkContent(t, s, fmt.Sprintf("data/%02x/w%d-%d", w, w, i), randomData(uint64(w*each+i), 4096+w))
		}
	}
}

// testConcurrentSameName races writers of different data for one name:
// exactly one must win and the object must hold all of its data.
func testConcurrentSameName(t *testing.T, s blob.Store) {
	const writers, rounds = 12, 4
	for r := range rounds {
		name := fmt.Sprintf("data/ra/race-%d", r)
		datas := make([][]byte, writers)
		for w := range datas {
			datas[w] = randomData(uint64(1000*r+w), 256<<10+w)
		}
		errs := make([]error, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				errs[w] = s.Put(t.Context(), name, datas[w])
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("%s: writers %d and %d both succeeded", name, winner, w)
			case err == nil:
				winner = w
			case !errors.Is(err, blob.ErrExists):
				t.Errorf("%s: writer %d: %v, want nil or ErrExists", name, w, err)
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no writer succeeded", name)
		}
		checkContent(t, s, name, datas[winner])
	}
}

func testCanceled(t *testing.T, s blob.Store) {
	mustPut(t, s, "keys/present", []byte("present"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	wantErr(t, "Put", s.Put(ctx, "keys/new", randomData(7, 1<<20)), context.Canceled)
	_, err := s.Get(ctx, "keys/present", 0, -1)
	wantErr(t, "Get", err, context.Canceled)
	_, err = s.Stat(ctx, "keys/present")
	wantErr(t, "Stat", err, context.Canceled)
	err = s.List(ctx, "keys/", func(blob.Info) error { return nil })
	wantErr(t, "List", err, context.Canceled)
	wantErr(t, "Delete", s.Delete(ctx, "keys/present"), context.Canceled)

	_, err = s.Stat(t.Context(), "keys/new")
	wantErr(t, "Stat after a canceled Put", err, blob.ErrNotExist)
	checkContent(t, s, "keys/present", []byte("present"))
}

func testCanceledDuringList(t *testing.T, s blob.Store) {
	for i := range 20 {
		mustPut(t, s, fmt.Sprintf("index/%02d", i), []byte{byte(i)})
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	calls := 0
	err := s.List(ctx, "index/", func(blob.Info) error {
		calls++
		cancel()
		return nil
	})
	wantErr(t, "List canceled from its callback", err, context.Canceled)
	if calls >= 20 {
		t.Errorf("callback called %d times after cancellation, want the listing to stop", calls)
	}
}
