package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// List implements blob.Store. It walks only the directories that can hold
// names with prefix and skips temporary files. fn runs on the caller's
// goroutine; its error is returned as is.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	dir := prefix[:strings.LastIndex(prefix, "/")+1]
	if dir != "" && blob.ValidName(dir[:len(dir)-1]) != nil {
		return nil // no name can have this prefix (and it might lead outside)
	}
	start := filepath.Join(s.root, filepath.FromSlash(dir))
	var fnErr error
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(mapNotExist(err), blob.ErrNotExist) {
				return nil // start is missing, or an entry vanished under us
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == start {
			return nil
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if isTemp(d.Name()) || !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if isTemp(d.Name()) || !strings.HasPrefix(name, prefix) || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted concurrently
			}
			return err
		}
		if err := fn(blob.Info{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	return err
}
