package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// aioState returns how many writes and fsyncs completed through the
// store's AIO, and why AIO is off, if it is.
func aioState(s *Store) (writes, fsyncs int64, broken error) {
	s.aio.mu.Lock()
	defer s.aio.mu.Unlock()
	return s.aio.reaped[iocbCmdPwrite].Load(), s.aio.reaped[iocbCmdFsync].Load(), s.aio.broken
}

// Objects are written and synced through AIO, more requests at once than
// the context holds, and read back exactly. Every 16th object is large
// enough for the O_DIRECT write; all are fsynced, with their directory.
func TestAIOWritesAndSyncsPacks(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	const n = aioDepth + 8
	content := func(i int) []byte {
		size := 100 + i
		if i%16 == 0 {
			size = directMin + 100
		}
		p := alignedBytes(size)
		p[0] = byte(i)
		return p
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := s.PutDeferred(ctx, fmt.Sprintf("data/%02x/%04d", i%7, i), content(i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Each object: its write if large, its fsync and its directory's.
	if w, f, broken := aioState(s); w < (n+15)/16 || f < 2*n || broken != nil {
		t.Fatalf("%d writes and %d fsyncs went through AIO (off: %v), want at least %d and %d", w, f, broken, (n+15)/16, 2*n)
	}
	for i := range n {
		got, err := blob.ReadAll(ctx, s, fmt.Sprintf("data/%02x/%04d", i%7, i))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, content(i)) {
			t.Fatalf("object %d read back differs", i)
		}
	}
}

// With AIO off (no context could be had) every write and fsync is made
// with a blocking call, and nothing changes for the caller.
func TestAIOOffFallsBackToBlockingCalls(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	s.aio.broken = errors.New("switched off by the test")
	data := alignedBytes(3<<20 + 5)
	if err := s.PutDeferred(ctx, "data/aa/one", data); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "index/one", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := blob.ReadAll(ctx, s, "data/aa/one")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
	}
	if w, f, _ := aioState(s); w != 0 || f != 0 {
		t.Errorf("%d writes and %d fsyncs went through AIO although it is off", w, f)
	}
}

// A reaper that cannot read its eventfd fails the waiting requests with
// EIO and switches AIO off; later calls block instead.
func TestAIOReaperFailureFailsWaitersAndSwitchesOff(t *testing.T) {
	s := newTestStore(t)
	a := s.aio
	done, err := a.register(&iocb{}) // never submitted: only the reaper can answer
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	efd := a.efd
	a.mu.Unlock()
	efd.Close()
	if res := <-done; res != -int64(unix.EIO) {
		t.Errorf("waiter got %d, want -EIO", res)
	}
	if _, err := a.register(&iocb{}); !errors.Is(err, errNoAIO) {
		t.Errorf("register after the reaper failed = %v, want errNoAIO", err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := a.sync(f); err != nil {
		t.Errorf("sync with AIO off: %v", err)
	}
}

// alignedBytes returns n bytes of a pattern in a page-aligned buffer, so
// that the O_DIRECT path takes them.
func alignedBytes(n int) []byte {
	buf := make([]byte, n+directAlign)
	off := 0
	if r := int(uintptr(unsafe.Pointer(&buf[0])) % directAlign); r != 0 {
		off = directAlign - r
	}
	p := buf[off : off+n]
	var pattern [4093]byte // a prime length: no page repeats another
	for i := range pattern {
		pattern[i] = byte(i*13 + i>>7)
	}
	for i := 0; i < n; i += len(pattern) {
		copy(p[i:], pattern[:])
	}
	return p
}

// A request the kernel refuses at submission (an fsync of a pipe) is made
// with the blocking call. And when the last request in flight is one that
// was not submitted, the reaper, parked on the eventfd, is woken to stop:
// nothing is left waiting (nor keeping the store alive).
func TestAIORefusedRequestLeavesNoReaper(t *testing.T) {
	s := newTestStore(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := s.aio.sync(w); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("sync of a pipe = %v, want the blocking fsync's EINVAL", err)
	}

	cb := &iocb{}
	if _, err := s.aio.register(cb); err != nil { // in flight, as if submitted
		t.Fatal(err)
	}
	waitFor(t, "the reaper parked on the eventfd", reaperParked)
	s.aio.unregister(cb.data) // the submission failed after all
	waitFor(t, "the reaper stopped", func() bool {
		s.aio.mu.Lock()
		defer s.aio.mu.Unlock()
		return !s.aio.reaping
	})
}

// reaperParked reports whether a reaper goroutine waits on its eventfd.
func reaperParked() bool {
	buf := make([]byte, 1<<20)
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "[IO wait") && strings.Contains(g, "(*aio).reap") {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
