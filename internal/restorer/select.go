package restorer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// Selection is one selected subtree of a snapshot and where it goes.
type Selection struct {
	Path   string // slash-separated path in the snapshot ("" for all of it)
	Target string // directory to restore it into
}

// ErrNoSuchPath is returned (wrapped) by Select for a path the snapshot
// does not have.
var ErrNoSuchPath = errors.New("no such path in the snapshot")

// Select places each selected path at its own place under target: a
// directory's content goes into target/path, a file into target/dir(path)
// under its name. No paths selects the whole snapshot into target.
func (rs *Restorer) Select(ctx context.Context, root repo.ID, target string, paths []string) ([]Selection, error) {
	if len(paths) == 0 {
		return []Selection{{Target: target}}, nil
	}
	out := make([]Selection, 0, len(paths))
	for _, p := range paths {
		p = path.Clean("/" + p)
		n, err := rs.Lookup(ctx, root, p)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%q: %w", p, ErrNoSuchPath)
		}
		if err != nil {
			return nil, err
		}
		dir := p
		if n != nil && n.Type != tree.TypeDir {
			dir = path.Dir(p)
		}
		out = append(out, Selection{Path: p, Target: filepath.Join(target, filepath.FromSlash(dir))})
	}
	return out, nil
}

// Add adds the counts and failures of o to r.
func (r *Result) Add(o *Result) {
	if o == nil {
		return
	}
	r.Files += o.Files
	r.Dirs += o.Dirs
	r.Links += o.Links
	r.Others += o.Others
	r.Skipped += o.Skipped
	r.Bytes += o.Bytes
	r.FailureCount += o.FailureCount
	r.Failures = append(r.Failures, o.Failures...)
}
