// Package retry is a blob.Store decorator that retries transient failures
// with exponential backoff and jitter.
//
// It never retries a canceled or expired context, blob.ErrNotExist,
// blob.ErrExists, blob.ErrInvalidName or blob.ErrPermanent, nor an error
// returned by a List callback. Everything else is taken as transient.
//
// A Put whose attempt failed in a way that leaves its outcome unknown (the
// object may have been stored and the answer lost) and whose next attempt
// finds the name taken checks that the stored object is byte for byte its
// own data before it reports success; otherwise it reports blob.ErrExists.
// A Get's reader that fails mid-stream reopens the object where it stopped.
// A List that fails part way is retried and skips the names it has already
// reported.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// Policy says how often and how patiently to retry.
type Policy struct {
	// MaxAttempts is the number of tries of one operation, the first
	// included (default 10).
	MaxAttempts int
	// InitialDelay is the wait before the second attempt (default 250ms);
	// it doubles for each further attempt up to MaxDelay (default 1m), so
	// the defaults ride out about two minutes of unavailability. Each
	// wait is drawn at random from its upper half (jitter).
	InitialDelay time.Duration
	MaxDelay     time.Duration
	// Wait waits for d or until ctx is done, returning ctx's error then. Nil
	// means a timer; tests pass a fake.
	Wait func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for jitter; nil means math/rand/v2.
	Rand func() float64
	// Notify, if set, is told of each failed attempt that will be retried
	// after delay (for logs and metrics). Errors carry no credentials.
	Notify func(op, name string, attempt int, err error, delay time.Duration)
}

// DefaultPolicy returns the defaults described on Policy.
func DefaultPolicy() Policy {
	return Policy{MaxAttempts: 10, InitialDelay: 250 * time.Millisecond, MaxDelay: time.Minute}
}

func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.InitialDelay <= 0 {
		p.InitialDelay = d.InitialDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.Wait == nil {
		p.Wait = wait
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

// delay is the wait after the attempt-th failed attempt (1-based).
func (p Policy) delay(attempt int) time.Duration {
	d := p.MaxDelay
	if attempt < 40 {
		d = min(p.InitialDelay<<(attempt-1), p.MaxDelay)
	}
	return d/2 + time.Duration(p.Rand()*float64(d/2))
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

// Retryable reports whether err is worth another attempt.
func Retryable(err error) bool {
	var f final
	switch {
	case err == nil,
		errors.As(err, &f),
		errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, blob.ErrNotExist),
		errors.Is(err, blob.ErrExists),
		errors.Is(err, blob.ErrInvalidName),
		errors.Is(err, blob.ErrPermanent):
		return false
	}
	return true
}

// final marks an error the operation itself decided not to retry.
type final struct{ err error }

func (f final) Error() string { return f.err.Error() }

// do runs fn until it succeeds, fails for good, or runs out of attempts.
func (s *Store) do(ctx context.Context, op, name string, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if f, ok := err.(final); ok {
			return f.err
		}
		if cerr := ctx.Err(); cerr != nil && err != nil && !errors.Is(err, cerr) {
			return fmt.Errorf("%s %s: %w (last error: %w)", op, name, cerr, err)
		}
		if !Retryable(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= s.policy.MaxAttempts {
			return fmt.Errorf("%s %s: giving up after %d attempts: %w", op, name, attempt, err)
		}
		d := s.policy.delay(attempt)
		if s.policy.Notify != nil {
			s.policy.Notify(op, name, attempt, err, d)
		}
		if werr := s.policy.Wait(ctx, d); werr != nil {
			return fmt.Errorf("%s %s: waiting to retry: %w (last error: %w)", op, name, werr, err)
		}
	}
}
