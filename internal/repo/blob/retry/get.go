package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Get implements blob.Store. Opening the object is retried, and so is a
// read that fails mid-stream: the reader reopens the object at the first
// byte it has not delivered.
func (s *Store) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := s.do(ctx, "get", name, func() (err error) {
		rc, err = s.s.Get(ctx, name, offset, length)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &reader{s: s, ctx: ctx, name: name, offset: offset, length: length, rc: rc}, nil
}

// reader resumes a Get after transient read errors.
type reader struct {
	s      *Store
	ctx    context.Context // the Get call's
	name   string
	offset int64 // of the next byte to deliver
	length int64 // still to deliver; < 0 means to the end
	rc     io.ReadCloser
	broken error // why the stream must be reopened, if it must
	failed int   // consecutive read failures
}

func (r *reader) Read(p []byte) (int, error) {
	if r.length == 0 {
		return 0, io.EOF
	}
	if r.length > 0 && int64(len(p)) > r.length {
		p = p[:r.length]
	}
	for {
		if r.broken != nil {
			if err := r.reopen(r.broken); err != nil {
				return 0, err
			}
			r.broken = nil
		}
		n, err := r.rc.Read(p)
		r.offset += int64(n)
		if r.length > 0 {
			r.length -= int64(n)
		}
		if n > 0 {
			r.failed = 0
		}
		if err == nil || errors.Is(err, io.EOF) || !Retryable(err) || r.ctx.Err() != nil {
			return n, err
		}
		r.broken = err // reopen before reading on
		if n > 0 {
			return n, nil
		}
	}
}

// reopen replaces the failed stream by a new one from r.offset, after the
// policy's wait.
func (r *reader) reopen(readErr error) error {
	r.failed++
	if r.failed >= r.s.policy.MaxAttempts {
		return fmt.Errorf("get %s: read: giving up after %d attempts: %w", r.name, r.failed, readErr)
	}
	d := r.s.policy.delay(r.failed)
	if r.s.policy.Notify != nil {
		r.s.policy.Notify("read", r.name, r.failed, readErr, d)
	}
	if err := r.s.policy.Wait(r.ctx, d); err != nil {
		return fmt.Errorf("get %s: waiting to retry: %w (last error: %w)", r.name, err, readErr)
	}
	r.rc.Close()
	rc, err := r.s.Get(r.ctx, r.name, r.offset, r.length)
	if err != nil {
		r.rc = io.NopCloser(errReader{err})
		return fmt.Errorf("get %s: reopen after read error: %w", r.name, err)
	}
	r.rc = rc.(*reader).rc // the inner stream; this reader keeps the counts
	return nil
}

func (r *reader) Close() error { return r.rc.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
