package local

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/limit"
	"github.com/arcabackup/arca/internal/repo/blob/retry"
)

func pendingOps(s *Store) int {
	s.deferred.mu.Lock()
	defer s.deferred.mu.Unlock()
	return len(s.deferred.ops)
}

func TestPutDeferredIsReadableAndSyncClearsIt(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	// Through the decorators, as the CLI and the server stack them.
	var st blob.Store = retry.New(limit.New(s, limit.Options{}), retry.Policy{})
	for _, name := range []string{"data/aa/one", "data/bb/two"} {
		if err := blob.PutDeferred(ctx, st, name, []byte(name)); err != nil {
			t.Fatalf("PutDeferred %s: %v", name, err)
		}
		got, err := blob.ReadAll(ctx, st, name)
		if err != nil || string(got) != name {
			t.Fatalf("read %s back = %q, %v", name, got, err)
		}
	}
	if err := blob.PutDeferred(ctx, st, "data/aa/one", []byte("other")); !errors.Is(err, blob.ErrExists) {
		t.Errorf("PutDeferred over an object = %v, want ErrExists", err)
	}
	if n := pendingOps(s); n != 2 {
		t.Fatalf("%d fsyncs started, want 2", n)
	}
	if err := blob.Sync(ctx, st); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := pendingOps(s); n != 0 {
		t.Errorf("%d fsyncs tracked after Sync, want 0", n)
	}
	if err := s.Put(ctx, "index/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if n := pendingOps(s); n != 0 {
		t.Errorf("Put left %d fsyncs to Sync, want 0 (it is durable itself)", n)
	}
}

func TestSyncFailureIsSticky(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	// A file that cannot be synced (the data it held may be lost): a
	// background fsync that fails, recorded as such.
	s.deferred.start(s.aio, s.path("data/aa/gone"))
	if err := s.Sync(ctx); err == nil {
		t.Fatal("Sync after a failed fsync succeeded")
	}
	if err := s.PutDeferred(ctx, "data/aa/next", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err == nil {
		t.Error("Sync after a failed Sync succeeded; it must keep failing")
	}
}

func TestSyncCanceledStopsWaitingOnly(t *testing.T) {
	s := newTestStore(t)
	// Hold every fsync slot, so the fsync waits...
	for range syncParallel {
		s.deferred.sem <- struct{}{}
	}
	if err := s.PutDeferred(context.Background(), "data/aa/one", []byte("x")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Sync(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sync with a cancelled context while an fsync waits = %v, want context.Canceled", err)
	}
	for range syncParallel { // ...and let the fsync run
		<-s.deferred.sem
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatalf("Sync after a cancelled one: %v", err)
	}
	if n := pendingOps(s); n != 0 {
		t.Errorf("%d fsyncs tracked after Sync, want 0", n)
	}
}

func TestPutDeferredBacklogIsBounded(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	for i := range 3 * maxBacklog {
		if err := s.PutDeferred(ctx, fmt.Sprintf("data/aa/%04d", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
		if n := pendingOps(s); n > 2*maxBacklog {
			t.Fatalf("%d fsyncs tracked after %d writes, want at most %d", n, i+1, 2*maxBacklog)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// Writers and Syncs at the same time (run with -race): every Sync returns
// nil and the last one leaves nothing outstanding.
func TestPutDeferredAndSyncConcurrently(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range maxBacklog {
				if err := s.PutDeferred(ctx, fmt.Sprintf("data/%02x/%04d", w, i), []byte("x")); err != nil {
					t.Error(err)
					return
				}
				if i%16 == 0 {
					if err := s.Sync(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := pendingOps(s); n != 0 {
		t.Errorf("%d fsyncs tracked after the last Sync, want 0", n)
	}
}
