package restorer

import (
	"context"
	"errors"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// SkipDir, returned by a Walk callback for a directory, skips its entries.
var SkipDir = errors.New("skip this directory")

// Walk calls fn for every node of the tree root below the subtree path
// (as in Options.Path), a directory before its entries, with the node's
// slash-separated path. Names are passed as stored, unchecked: Walk is for
// listing (`ls`), not for creating files. An error from fn other than
// SkipDir stops the walk and is returned.
func (rs *Restorer) Walk(ctx context.Context, root repo.ID, subtree string, fn func(p string, n *tree.Node) error) error {
	node, err := resolve(ctx, rs.repo, tree.ID(root), subtree)
	if err != nil {
		return err
	}
	w := walker{repo: rs.repo, fn: fn}
	switch {
	case node == nil:
		return w.tree(ctx, "", tree.ID(root))
	case node.Type == tree.TypeDir && node.Subtree != nil:
		return w.tree(ctx, "", *node.Subtree)
	case node.Type == tree.TypeDir:
		return nil
	}
	return w.node(ctx, "", node)
}

type walker struct {
	repo Repo
	fn   func(string, *tree.Node) error
}

func (w *walker) tree(ctx context.Context, prefix string, id tree.ID) error {
	t, err := loadTree(ctx, w.repo, id)
	if err != nil {
		return err
	}
	for i := range t.Nodes {
		if err := w.node(ctx, prefix, &t.Nodes[i]); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) node(ctx context.Context, prefix string, n *tree.Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := n.Name
	if prefix != "" {
		p = prefix + "/" + n.Name
	}
	err := w.fn(p, n)
	if errors.Is(err, SkipDir) {
		return nil
	}
	if err != nil {
		return err
	}
	if n.Type == tree.TypeDir && n.Subtree != nil {
		return w.tree(ctx, p, *n.Subtree)
	}
	return nil
}
