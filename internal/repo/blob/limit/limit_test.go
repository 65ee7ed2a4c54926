package limit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/blobtest"
	"github.com/arcabackup/arca/internal/repo/blob/limit"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := local.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return limit.New(s, limit.Options{Connections: 2, UploadBytesPerSec: 4 << 30, DownloadBytesPerSec: 4 << 30})
	})
}

// gauge is a store whose Puts and Stats block until released and whose
// open readers count as operations in flight; it records the most in
// flight at once.
type gauge struct {
	blob.Store
	entered chan string
	release chan struct{}
	mu      sync.Mutex
	now     int
	most    int
}

func newGauge() *gauge {
	return &gauge{Store: mem.New(), entered: make(chan string, 100), release: make(chan struct{})}
}

func (g *gauge) begin(op string) {
	g.mu.Lock()
	g.now++
	g.most = max(g.most, g.now)
	g.mu.Unlock()
	g.entered <- op
}

func (g *gauge) end() {
	g.mu.Lock()
	g.now--
	g.mu.Unlock()
}

func (g *gauge) max() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.most
}

func (g *gauge) Put(ctx context.Context, name string, data []byte) error {
	g.begin("put")
	defer g.end()
	<-g.release
	return g.Store.Put(ctx, name, data)
}

func (g *gauge) Stat(ctx context.Context, name string) (blob.Info, error) {
	g.begin("stat")
	defer g.end()
	<-g.release
	return g.Store.Stat(ctx, name)
}

func (g *gauge) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	rc, err := g.Store.Get(ctx, name, offset, length)
	if err != nil {
		return nil, err
	}
	g.begin("get")
	return &gaugeReader{ReadCloser: rc, g: g}, nil
}

type gaugeReader struct {
	io.ReadCloser
	g    *gauge
	once sync.Once
}

func (r *gaugeReader) Close() error {
	r.once.Do(r.g.end)
	return r.ReadCloser.Close()
}

func TestQueuedOperationsRunAsSlotsFree(t *testing.T) {
	const limitN, writers = 3, 12
	g := newGauge()
	s := limit.New(g, limit.Options{Connections: limitN})
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() { errs <- s.Put(t.Context(), fmt.Sprintf("data/%02d", i), []byte{byte(i)}) })
	}
	for range limitN { // the limit is reached...
		<-g.entered
	}
	for range writers - limitN { // ...and each release lets one more in
		g.release <- struct{}{}
		<-g.entered
	}
	for range limitN {
		g.release <- struct{}{}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Put: %v", err)
		}
	}
	if got := g.max(); got != limitN {
		t.Errorf("at most %d operations ran at once, want %d", got, limitN)
	}
}

// busy is a store whose operations yield the processor many times while in
// flight, giving excess concurrency every chance to show; it records the
// most operations in flight at once.
type busy struct {
	blob.Store
	mu        sync.Mutex
	now, most int
}

func (b *busy) Stat(ctx context.Context, name string) (blob.Info, error) {
	b.mu.Lock()
	b.now++
	b.most = max(b.most, b.now)
	b.mu.Unlock()
	for range 20 {
		runtime.Gosched()
	}
	b.mu.Lock()
	b.now--
	b.mu.Unlock()
	return blob.Info{Name: name}, nil
}

func TestConcurrencyNeverExceedsLimitUnderLoad(t *testing.T) {
	const limitN = 3
	b := &busy{Store: mem.New()}
	s := limit.New(b, limit.Options{Connections: limitN})
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 50 {
				if _, err := s.Stat(t.Context(), "config"); err != nil {
					t.Errorf("Stat: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if b.most > limitN {
		t.Errorf("%d operations ran at once, limit %d", b.most, limitN)
	}
}

func TestGetHoldsSlotUntilClose(t *testing.T) {
	g := newGauge()
	if err := g.Store.Put(t.Context(), "config", []byte("config")); err != nil {
		t.Fatal(err)
	}
	s := limit.New(g, limit.Options{Connections: 2})
	var readers []io.ReadCloser
	for range 2 {
		rc, err := s.Get(t.Context(), "config", 0, -1)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		<-g.entered
		readers = append(readers, rc)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Stat(t.Context(), "config"); done <- err }()
	readers[0].Close()
	readers[0].Close() // a second Close must not free a second slot
	if op := <-g.entered; op != "stat" {
		t.Fatalf("entered %q, want stat", op)
	}
	g.release <- struct{}{}
	if err := <-done; err != nil {
		t.Errorf("Stat: %v", err)
	}
	readers[1].Close()
	if got := g.max(); got != 2 {
		t.Errorf("at most %d operations ran at once, want 2", got)
	}
}

func TestCanceledWhileWaitingForSlot(t *testing.T) {
	g := newGauge()
	if err := g.Store.Put(t.Context(), "config", nil); err != nil {
		t.Fatal(err)
	}
	s := limit.New(g, limit.Options{Connections: 1})
	rc, err := s.Get(t.Context(), "config", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := s.Stat(ctx, "config"); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Stat while all slots are taken, canceled: %v, want context.Canceled", err)
	}
}

// fakeClock advances only when waited on.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	waited time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.waited += d
	return ctx.Err()
}

func TestUploadBandwidth(t *testing.T) {
	c := &fakeClock{t: time.Unix(1e9, 0)}
	s := limit.New(mem.New(), limit.Options{UploadBytesPerSec: 1e6, Now: c.now, Wait: c.wait})
	for i := range 10 {
		if err := s.Put(t.Context(), fmt.Sprintf("data/%d", i), make([]byte, 1e6)); err != nil {
			t.Fatal(err)
		}
	}
	// 10 MB at 1 MB/s, the first second's worth available at once
	if c.waited != 9*time.Second {
		t.Errorf("waited %v in all, want 9s", c.waited)
	}
}

func TestDownloadBandwidth(t *testing.T) {
	c := &fakeClock{t: time.Unix(1e9, 0)}
	inner := mem.New()
	data := bytes.Repeat([]byte{7}, 4e6)
	if err := inner.Put(t.Context(), "pack", data); err != nil {
		t.Fatal(err)
	}
	s := limit.New(inner, limit.Options{DownloadBytesPerSec: 1e6, Now: c.now, Wait: c.wait})
	got, err := blob.ReadAll(t.Context(), s, "pack")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
	}
	if d := c.waited - 3*time.Second; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("waited %v in all, want 3s", c.waited)
	}
}
