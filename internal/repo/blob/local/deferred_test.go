package local

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/limit"
	"github.com/arcabackup/arca/internal/repo/blob/retry"
)

func pendingFiles(s *Store) []string {
	s.deferred.mu.Lock()
	defer s.deferred.mu.Unlock()
	return append([]string(nil), s.deferred.files...)
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
	if n := len(pendingFiles(s)); n != 2 {
		t.Fatalf("%d files await Sync, want 2", n)
	}
	if err := blob.Sync(ctx, st); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if n := len(pendingFiles(s)); n != 0 {
		t.Errorf("%d files await Sync after it, want 0", n)
	}
	if err := s.Put(ctx, "index/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if n := len(pendingFiles(s)); n != 0 {
		t.Errorf("Put left %d files to Sync, want 0 (it is durable itself)", n)
	}
}

func TestSyncFailureIsSticky(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.PutDeferred(ctx, "data/aa/gone", []byte("x")); err != nil {
		t.Fatal(err)
	}
	// A file that cannot be synced: the data it held may be lost.
	if err := os.Remove(s.path("data/aa/gone")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err == nil {
		t.Fatal("Sync of a file that vanished succeeded")
	}
	if err := s.PutDeferred(ctx, "data/aa/next", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err == nil {
		t.Error("Sync after a failed Sync succeeded; it must keep failing")
	}
}

func TestSyncCanceledKeepsFilesForNextSync(t *testing.T) {
	s := newTestStore(t)
	if err := s.PutDeferred(context.Background(), "data/aa/one", []byte("x")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Sync(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sync with a cancelled context = %v, want context.Canceled", err)
	}
	if n := len(pendingFiles(s)); n != 1 {
		t.Fatalf("%d files await Sync after a cancelled one, want 1", n)
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatalf("Sync after a cancelled one: %v", err)
	}
}
