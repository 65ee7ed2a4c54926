package checker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// checkSnapshots loads every snapshot and every tree they reach (each tree
// once, level by level, in parallel) and checks that every data blob the
// trees reference is in the index.
func (c *checker) checkSnapshots(ctx context.Context) error {
	if err := c.loadSnapshots(ctx); err != nil {
		return err
	}
	c.report.Snapshots = len(c.snapshots)
	c.referenced = map[repo.ID]struct{}{}
	visited := map[repo.ID]bool{}
	var frontier []repo.ID
	for _, s := range c.snapshots {
		if !visited[s.sn.Tree] {
			visited[s.sn.Tree] = true
			frontier = append(frontier, s.sn.Tree)
		}
	}
	var done int64
	for len(frontier) > 0 {
		next, err := c.walkLevel(ctx, frontier, visited)
		if err != nil {
			return err
		}
		done += int64(len(frontier))
		c.progress(Progress{Phase: "snapshots", Done: done})
		frontier = next
	}
	c.report.Trees = len(visited)
	c.report.DataBlobs = len(c.referenced)
	return nil
}

// walkLevel loads the trees of one level and returns the unvisited
// subtrees they name.
func (c *checker) walkLevel(ctx context.Context, level []repo.ID, visited map[repo.ID]bool) ([]repo.ID, error) {
	var mu sync.Mutex
	var next []repo.ID
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.conns)
	for _, id := range level {
		g.Go(func() error {
			t, err := c.loadTree(gctx, id)
			if err != nil || t == nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for i := range t.Nodes {
				n := &t.Nodes[i]
				if n.Subtree != nil && !visited[*n.Subtree] {
					visited[*n.Subtree] = true
					next = append(next, *n.Subtree)
				}
				for _, d := range n.Content {
					c.noteData(d)
				}
			}
			return nil
		})
	}
	err := g.Wait()
	return next, err
}

// noteData records a referenced data blob and checks that the index
// knows it.
func (c *checker) noteData(id repo.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.referenced[id]; ok {
		return
	}
	c.referenced[id] = struct{}{}
	if !c.r.HasBlob(repo.DataBlob, id) {
		c.report.MissingBlobs = append(c.report.MissingBlobs, BlobProblem{Type: repo.DataBlob, ID: id, Problem: "referenced by a tree, not in the index"})
		c.bad[blobKey{repo.DataBlob, id}] = "not in the index"
	}
}

// loadTree loads and decodes one tree. A tree that is missing or damaged
// is recorded and yields (nil, nil); only a canceled context is an error.
func (c *checker) loadTree(ctx context.Context, id repo.ID) (*tree.Tree, error) {
	buf, err := c.r.LoadBlob(ctx, repo.TreeBlob, id, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		k := blobKey{repo.TreeBlob, id}
		if errors.Is(err, repo.ErrBlobNotFound) {
			c.report.MissingBlobs = append(c.report.MissingBlobs, BlobProblem{Type: repo.TreeBlob, ID: id, Problem: "referenced by a snapshot or tree, not in the index"})
			c.bad[k] = "not in the index"
		} else {
			c.bad[k] = fmt.Sprintf("does not load: %v", err)
			c.treeErrs = append(c.treeErrs, BlobProblem{Type: repo.TreeBlob, ID: id, Problem: c.bad[k]})
		}
		return nil, nil
	}
	t, err := tree.Decode(buf)
	if err != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.bad[blobKey{repo.TreeBlob, id}] = fmt.Sprintf("does not decode: %v", err)
		c.treeErrs = append(c.treeErrs, BlobProblem{Type: repo.TreeBlob, ID: id, Problem: c.bad[blobKey{repo.TreeBlob, id}]})
		return nil, nil
	}
	return t, nil
}

// loadSnapshots loads every snapshot object, in parallel; one that does
// not load is reported and the others are checked.
func (c *checker) loadSnapshots(ctx context.Context) error {
	ids, err := c.r.ListSnapshotIDs(ctx)
	if err != nil {
		return fmt.Errorf("list snapshots: %w", err)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.conns)
	for _, id := range ids {
		g.Go(func() error {
			sn, err := c.r.LoadSnapshot(gctx, id)
			switch {
			case errors.Is(err, repo.ErrSnapshotNotFound):
				return nil // forgotten meanwhile
			case err != nil && gctx.Err() != nil:
				return gctx.Err()
			case err != nil:
				c.addError("snapshot %s does not load: %v", id, err)
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			c.snapshots = append(c.snapshots, snap{id, sn})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	sort.Slice(c.snapshots, func(i, j int) bool { return lessID(c.snapshots[i].id, c.snapshots[j].id) })
	return nil
}
