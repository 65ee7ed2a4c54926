package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arcabackup/arca/internal/repo/blob"
)

var _ blob.DirMaker = (*Store)(nil)

// MakeDirs implements blob.DirMaker: it creates the directory of each
// prefix (and its parents), then fsyncs every parent once.
func (s *Store) MakeDirs(ctx context.Context, prefixes []string) error {
	parents := map[string]bool{}
	for _, p := range prefixes {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := filepath.Dir(s.path(p + "x"))
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return fmt.Errorf("make directories: %w", err)
		}
		for d := dir; d != s.root && !parents[filepath.Dir(d)]; d = filepath.Dir(d) {
			parents[filepath.Dir(d)] = true
		}
	}
	for d := range parents {
		if err := syncPath(nil, d); err != nil {
			return fmt.Errorf("make directories: %w", err)
		}
	}
	return nil
}
