// Package mem is a blob.Store in memory, for tests. Put and Get copy the
// data, so callers cannot modify what is stored.
package mem

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/repo/blob"
)

var _ blob.Store = (*Store)(nil)

type object struct {
	data    []byte
	modTime time.Time
}

// Store keeps objects in a map. The zero value is not usable; use New.
type Store struct {
	mu      sync.RWMutex
	objects map[string]object
	now     func() time.Time
}

// New returns an empty Store.
func New() *Store {
	return &Store{objects: map[string]object{}, now: time.Now}
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	if err := check(ctx, "put", name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[name]; ok {
		return fmt.Errorf("put %s: %w", name, blob.ErrExists)
	}
	s.objects[name] = object{data: bytes.Clone(data), modTime: s.now()}
	return nil
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := check(ctx, "get", name); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("get %s: negative offset %d", name, offset)
	}
	s.mu.RLock()
	o, ok := s.objects[name]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("get %s: %w", name, blob.ErrNotExist)
	}
	data := o.data[min(offset, int64(len(o.data))):]
	if length >= 0 && length < int64(len(data)) {
		data = data[:length]
	}
	return io.NopCloser(bytes.NewReader(bytes.Clone(data))), nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, name string) (blob.Info, error) {
	if err := check(ctx, "stat", name); err != nil {
		return blob.Info{}, err
	}
	s.mu.RLock()
	o, ok := s.objects[name]
	s.mu.RUnlock()
	if !ok {
		return blob.Info{}, fmt.Errorf("stat %s: %w", name, blob.ErrNotExist)
	}
	return blob.Info{Name: name, Size: int64(len(o.data)), ModTime: o.modTime}, nil
}

// List implements blob.Store. It works on a snapshot of the names, so fn
// may call the store.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	s.mu.RLock()
	var infos []blob.Info
	for name, o := range s.objects {
		if strings.HasPrefix(name, prefix) {
			infos = append(infos, blob.Info{Name: name, Size: int64(len(o.data)), ModTime: o.modTime})
		}
	}
	s.mu.RUnlock()
	for _, fi := range infos {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		if err := fn(fi); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := check(ctx, "delete", name); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.objects, name)
	s.mu.Unlock()
	return nil
}

// Connections implements blob.Store.
func (s *Store) Connections() int { return 8 }

// Location implements blob.Store.
func (s *Store) Location() string { return "mem:" }

func check(ctx context.Context, op, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	if err := blob.ValidName(name); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
