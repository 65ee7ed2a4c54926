// Package limit is a blob.Store decorator that bounds how many operations
// run at once and, optionally, the upload and download bandwidth.
//
// An operation holds one of the slots while it runs; a Get holds its slot
// until its reader is closed, and a List until it returns, so a List
// callback that waits for other operations of the same store needs a
// limit of at least two. Bandwidth is averaged: a Put waits until its bytes
// fit the upload budget and then sends them at full speed; a Get's reader
// waits after each read until the bytes read fit the download budget. The
// budget accumulates up to one second's worth of bytes while idle.
package limit

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/repo/blob"
)

var (
	_ blob.Store     = (*Store)(nil)
	_ blob.Unwrapper = (*Store)(nil)
	_ blob.Deferrer  = (*Store)(nil)
)

// Options are the limits.
type Options struct {
	// Connections is the most operations at once; 0 means the wrapped
	// store's Connections().
	Connections int
	// UploadBytesPerSec and DownloadBytesPerSec bound the bandwidth; 0 means
	// unlimited.
	UploadBytesPerSec   int64
	DownloadBytesPerSec int64
	// Now and Wait are the clock (nil: the real one); tests pass fakes.
	// Wait waits for d or until ctx is done, returning ctx's error then.
	Now  func() time.Time
	Wait func(ctx context.Context, d time.Duration) error
}

// Store bounds the operations on the Store it wraps.
type Store struct {
	s        blob.Store
	sem      chan struct{}
	up, down *bucket // nil when unlimited
	wait     func(ctx context.Context, d time.Duration) error
}

// New wraps s with the limits in opts.
func New(s blob.Store, opts Options) *Store {
	n := opts.Connections
	if n <= 0 {
		n = s.Connections()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Wait == nil {
		opts.Wait = wait
	}
	return &Store{
		s:    s,
		sem:  make(chan struct{}, max(n, 1)),
		up:   newBucket(opts.UploadBytesPerSec, opts.Now),
		down: newBucket(opts.DownloadBytesPerSec, opts.Now),
		wait: opts.Wait,
	}
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unwrap implements blob.Unwrapper.
func (s *Store) Unwrap() blob.Store { return s.s }

// Connections implements blob.Store: the limit.
func (s *Store) Connections() int { return cap(s.sem) }

// Location implements blob.Store.
func (s *Store) Location() string { return s.s.Location() }

func (s *Store) acquire(ctx context.Context, op, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s %s: waiting for a connection: %w", op, name, ctx.Err())
	}
}

func (s *Store) release() { <-s.sem }

// throttle waits until n bytes fit b's budget.
func (s *Store) throttle(ctx context.Context, b *bucket, n int) error {
	if b == nil || n == 0 {
		return nil
	}
	if d := b.take(n); d > 0 {
		return s.wait(ctx, d)
	}
	return nil
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	return s.put(ctx, name, data, s.s.Put)
}

// PutDeferred implements blob.Deferrer: Put, with the wrapped store's
// PutDeferred (or its Put if it has none).
func (s *Store) PutDeferred(ctx context.Context, name string, data []byte) error {
	return s.put(ctx, name, data, func(ctx context.Context, name string, data []byte) error {
		return blob.PutDeferred(ctx, s.s, name, data)
	})
}

// Sync implements blob.Deferrer; it takes no slot (it moves no bytes).
func (s *Store) Sync(ctx context.Context) error { return blob.Sync(ctx, s.s) }

func (s *Store) put(ctx context.Context, name string, data []byte, put func(context.Context, string, []byte) error) error {
	if err := s.acquire(ctx, "put", name); err != nil {
		return err
	}
	defer s.release()
	if err := s.throttle(ctx, s.up, len(data)); err != nil {
		return fmt.Errorf("put %s: waiting for bandwidth: %w", name, err)
	}
	return put(ctx, name, data)
}

// Get implements blob.Store. The slot is held until the reader is closed.
func (s *Store) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := s.acquire(ctx, "get", name); err != nil {
		return nil, err
	}
	rc, err := s.s.Get(ctx, name, offset, length)
	if err != nil {
		s.release()
		return nil, err
	}
	return &reader{s: s, ctx: ctx, rc: rc}, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, name string) (blob.Info, error) {
	if err := s.acquire(ctx, "stat", name); err != nil {
		return blob.Info{}, err
	}
	defer s.release()
	return s.s.Stat(ctx, name)
}

// List implements blob.Store; it holds a slot until it returns.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := s.acquire(ctx, "list", prefix); err != nil {
		return err
	}
	defer s.release()
	return s.s.List(ctx, prefix, fn)
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := s.acquire(ctx, "delete", name); err != nil {
		return err
	}
	defer s.release()
	return s.s.Delete(ctx, name)
}

// reader throttles a Get's stream and frees its slot on Close.
type reader struct {
	s    *Store
	ctx  context.Context // the Get call's
	rc   io.ReadCloser
	once sync.Once
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if terr := r.s.throttle(r.ctx, r.s.down, n); terr != nil && err == nil {
		err = terr
	}
	return n, err
}

func (r *reader) Close() error {
	err := r.rc.Close()
	r.once.Do(r.s.release)
	return err
}
