package task_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/task"
)

// readingStore counts GetTask calls and stops the one of task hold after
// its catalog read until resumed: the seams of the finished-task cache.
type readingStore struct {
	catalog.Store
	reads  atomic.Int64
	hold   atomic.Value  // string: the task whose read is held
	read   chan struct{} // the held read has read the catalog
	resume chan struct{} // lets it return
}

func (s *readingStore) GetTask(ctx context.Context, id string) (arca.Task, error) {
	s.reads.Add(1)
	t, err := s.Store.GetTask(ctx, id)
	if s.hold.CompareAndSwap(id, "") {
		s.read <- struct{}{}
		<-s.resume
	}
	return t, err
}

// offsetClock is the real time plus an offset a test moves forward.
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) now() time.Time       { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *offsetClock) skip(d time.Duration) { c.offset.Add(int64(d)) }

// getReads returns the task id and how many catalog reads Get made for it.
func getReads(e *task.Engine, s *readingStore, id string) (arca.Task, int64, error) {
	before := s.reads.Load()
	got, err := e.Get(context.Background(), id)
	return got, s.reads.Load() - before, err
}

func testFinishedCache(t *testing.T, h *harness) {
	s := &readingStore{Store: h.store, read: make(chan struct{}), resume: make(chan struct{})}
	s.hold.Store("")
	clock := &offsetClock{}
	g := newGate()
	opts := task.Options{Poll: 20 * time.Millisecond, FinishedTTL: time.Hour, Now: clock.now}
	e := task.New(s, opts)
	e.Register(opWork, quick("kept"))
	e.Register("gate", g.handler(false))
	h.start(e)
	ctx := context.Background()

	// an unfinished task is read from the catalog on every Get
	running, _, err := e.Submit(ctx, task.Spec{Operation: "gate"})
	if err != nil {
		t.Fatal(err)
	}
	<-g.started
	for range 2 {
		if got, n, err := getReads(e, s, running.ID); err != nil || got.State != arca.TaskRunning || n != 1 {
			t.Fatalf("Get of a running task: %v %s, %d catalog reads, want running and 1", err, got.State, n)
		}
	}
	close(g.release)
	waitEnd(t, e, running.ID)

	// a finished task is read once, then answered from memory
	sub, _, err := e.Submit(ctx, task.Spec{Operation: opWork})
	if err != nil {
		t.Fatal(err)
	}
	waitEnd(t, e, sub.ID)
	want, err := h.store.GetTask(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	got, n, err := getReads(e, s, sub.ID)
	if err != nil || n != 0 {
		t.Fatalf("Get of a finished task just read: %v, %d catalog reads, want 0", err, n)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cached task differs from the catalog's (-want +got):\n%s", diff)
	}
	// what a caller does to its copy does not reach the cache
	got.Result[2] = 'X'
	*got.EndedAt = time.Time{}
	if again, _, _ := getReads(e, s, sub.ID); !cmp.Equal(want, again) {
		t.Errorf("a caller's change reached the cache: %s", cmp.Diff(want, again))
	}
	// after the ttl it is read again
	clock.skip(2 * time.Hour)
	if _, n, err := getReads(e, s, sub.ID); err != nil || n != 1 {
		t.Errorf("Get after the ttl: %v, %d catalog reads, want 1", err, n)
	}

	// deleted by this engine: gone at once
	if err := e.Delete(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := getReads(e, s, sub.ID); !errors.Is(err, arca.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want NOT_FOUND", err)
	}

	// deleted by another process: gone once the ttl has passed
	other := task.New(h.store, task.Options{})
	sub2, _, _ := e.Submit(ctx, task.Spec{Operation: opWork})
	waitEnd(t, e, sub2.ID)
	if _, err := e.Get(ctx, sub2.ID); err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(ctx, sub2.ID); err != nil {
		t.Fatal(err)
	}
	if _, n, err := getReads(e, s, sub2.ID); err != nil || n != 0 {
		t.Errorf("Get within the ttl of a delete by another process: %v, %d reads, want the cached task", err, n)
	}
	clock.skip(2 * time.Hour)
	if _, _, err := getReads(e, s, sub2.ID); !errors.Is(err, arca.ErrNotFound) {
		t.Errorf("Get past the ttl of a delete by another process: %v, want NOT_FOUND", err)
	}

	// a read that began before a delete by this engine does not fill the cache
	sub3, _, _ := e.Submit(ctx, task.Spec{Operation: opWork})
	waitEnd(t, e, sub3.ID)
	clock.skip(2 * time.Hour) // forget it: the next Get reads the catalog
	s.hold.Store(sub3.ID)
	done := make(chan error)
	go func() {
		_, err := e.Get(ctx, sub3.ID)
		done <- err
	}()
	<-s.read
	if err := e.Delete(ctx, sub3.ID); err != nil {
		t.Fatal(err)
	}
	close(s.resume)
	if err := <-done; err != nil {
		t.Fatalf("Get that began before the delete: %v, want the task it read", err)
	}
	if _, _, err := getReads(e, s, sub3.ID); !errors.Is(err, arca.ErrNotFound) {
		t.Errorf("Get after a delete that raced a read: %v, want NOT_FOUND", err)
	}
}
