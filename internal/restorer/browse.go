package restorer

import (
	"context"
	"fmt"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// Lookup returns the node at path (slash-separated, from the root of the
// tree root), or nil for the root itself. A missing path wraps
// os.ErrNotExist.
func (rs *Restorer) Lookup(ctx context.Context, root repo.ID, path string) (*tree.Node, error) {
	return resolve(ctx, rs.repo, tree.ID(root), path)
}

// List returns the entries of the directory at path (the root for "").
func (rs *Restorer) List(ctx context.Context, root repo.ID, path string) ([]tree.Node, error) {
	n, err := rs.Lookup(ctx, root, path)
	if err != nil {
		return nil, err
	}
	id := tree.ID(root)
	if n != nil {
		if n.Type != tree.TypeDir || n.Subtree == nil {
			return nil, fmt.Errorf("path %q: %w", path, ErrNotDir)
		}
		id = *n.Subtree
	}
	t, err := loadTree(ctx, rs.repo, id)
	if err != nil {
		return nil, err
	}
	return t.Nodes, nil
}

// ErrNotDir is returned (wrapped) by List for a path that is not a
// directory.
var ErrNotDir = fmt.Errorf("not a directory")
