package checker

import (
	"context"
	"path"

	"github.com/arcabackup/arca/internal/repo"
)

// findAffected walks every snapshot again, with paths, when blobs are bad,
// and lists per snapshot the files and directories they spoil. Subtrees
// found clean are remembered and skipped in later snapshots.
func (c *checker) findAffected(ctx context.Context) error {
	if len(c.bad) == 0 {
		return nil
	}
	clean := map[repo.ID]bool{}
	for i, s := range c.snapshots {
		a := AffectedSnapshot{Snapshot: s.id, Time: s.sn.Time}
		if _, err := c.affectedIn(ctx, s.sn.Tree, "/", &a, clean); err != nil {
			return err
		}
		if len(a.Files) > 0 || len(a.Dirs) > 0 {
			c.report.Affected = append(c.report.Affected, a)
		}
		c.progress(Progress{Phase: "affected", Done: int64(i + 1), Total: int64(len(c.snapshots))})
	}
	return nil
}

// affectedIn adds to a what under tree id (at dir) is affected and reports
// whether nothing was.
func (c *checker) affectedIn(ctx context.Context, id repo.ID, dir string, a *AffectedSnapshot, clean map[repo.ID]bool) (bool, error) {
	if clean[id] {
		return true, nil
	}
	if _, bad := c.bad[blobKey{repo.TreeBlob, id}]; bad {
		a.Dirs = append(a.Dirs, dir)
		return false, nil
	}
	t, err := c.loadTree(ctx, id)
	if err != nil {
		return false, err
	}
	if t == nil { // failed only now: a transient read error
		a.Dirs = append(a.Dirs, dir)
		return false, nil
	}
	ok := true
	for i := range t.Nodes {
		n := &t.Nodes[i]
		p := path.Join(dir, n.Name)
		for _, d := range n.Content {
			if _, bad := c.bad[blobKey{repo.DataBlob, d}]; bad {
				a.Files = append(a.Files, p)
				ok = false
				break
			}
		}
		if n.Subtree != nil {
			sub, err := c.affectedIn(ctx, *n.Subtree, p, a, clean)
			if err != nil {
				return false, err
			}
			ok = ok && sub
		}
	}
	if ok {
		clean[id] = true
	}
	return ok, nil
}
