package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/arcabackup/arca/internal/repo/blob"
)

var (
	_ blob.Store     = (*Store)(nil)
	_ blob.Unwrapper = (*Store)(nil)
	_ blob.Deferrer  = (*Store)(nil)
)

// Store retries the operations of the Store it wraps.
type Store struct {
	s      blob.Store
	policy Policy
}

// New wraps s; zero fields of policy take DefaultPolicy's values.
func New(s blob.Store, policy Policy) *Store {
	return &Store{s: s, policy: policy.withDefaults()}
}

// Unwrap implements blob.Unwrapper.
func (s *Store) Unwrap() blob.Store { return s.s }

// Connections implements blob.Store.
func (s *Store) Connections() int { return s.s.Connections() }

// Location implements blob.Store.
func (s *Store) Location() string { return s.s.Location() }

// Put implements blob.Store; see the package documentation for a retried
// Put that finds the name taken.
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

// Sync implements blob.Deferrer. It is never retried: after a failed
// fsync the data may be gone, and a second fsync could report success.
func (s *Store) Sync(ctx context.Context) error { return blob.Sync(ctx, s.s) }

func (s *Store) put(ctx context.Context, name string, data []byte, put func(context.Context, string, []byte) error) error {
	unknown := false // whether an earlier attempt may have stored data
	return s.do(ctx, "put", name, func() error {
		err := put(ctx, name, data)
		if unknown && errors.Is(err, blob.ErrExists) {
			return s.verifyOwn(ctx, name, data, err)
		}
		if Retryable(err) {
			unknown = true
		}
		return err
	})
}

// verifyOwn returns nil if name holds exactly data, exists (marked final) if
// it holds something else, or the error that kept it from telling.
func (s *Store) verifyOwn(ctx context.Context, name string, data []byte, exists error) error {
	fi, err := s.s.Stat(ctx, name)
	if errors.Is(err, blob.ErrNotExist) {
		// Deleted since: not ErrNotExist (%v), so Put tries again.
		return fmt.Errorf("put %s: existing object vanished while verifying it: %v", name, err)
	}
	if err != nil {
		return fmt.Errorf("put %s: verify existing object: %w", name, err)
	}
	if fi.Size != int64(len(data)) {
		return final{fmt.Errorf("put %s: after a failed attempt the name holds another object (%d bytes, not %d): %w", name, fi.Size, len(data), exists)}
	}
	rc, err := s.s.Get(ctx, name, 0, -1)
	if err != nil {
		return fmt.Errorf("put %s: verify existing object: %w", name, err)
	}
	defer rc.Close()
	same, err := sameContent(rc, data)
	switch {
	case err != nil:
		return fmt.Errorf("put %s: verify existing object: %w", name, err)
	case !same:
		return final{fmt.Errorf("put %s: after a failed attempt the name holds other data: %w", name, exists)}
	}
	return nil
}

// sameContent reports whether r yields exactly data.
func sameContent(r io.Reader, data []byte) (bool, error) {
	buf := make([]byte, 256<<10)
	for {
		n, err := r.Read(buf)
		if n > len(data) || !bytes.Equal(buf[:n], data[:n]) {
			return false, nil
		}
		data = data[n:]
		if err == io.EOF {
			return len(data) == 0, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, name string) (fi blob.Info, err error) {
	err = s.do(ctx, "stat", name, func() error {
		fi, err = s.s.Stat(ctx, name)
		return err
	})
	return fi, err
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, name string) error {
	return s.do(ctx, "delete", name, func() error { return s.s.Delete(ctx, name) })
}

// List implements blob.Store. A retried listing skips the names already
// passed to fn, which it remembers (memory grows with the listing).
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	var mu sync.Mutex
	seen := map[string]bool{}
	return s.do(ctx, "list", prefix, func() error {
		var fnErr error
		err := s.s.List(ctx, prefix, func(fi blob.Info) error {
			mu.Lock()
			dup := seen[fi.Name]
			seen[fi.Name] = true
			mu.Unlock()
			if dup {
				return nil
			}
			if err := fn(fi); err != nil {
				mu.Lock()
				fnErr = err
				mu.Unlock()
				return err
			}
			return nil
		})
		mu.Lock()
		defer mu.Unlock()
		if fnErr != nil {
			return final{fnErr}
		}
		return err
	})
}
