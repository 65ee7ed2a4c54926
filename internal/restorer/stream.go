package restorer

import (
	"context"
	"fmt"
	"io"
	"path"
	"sync"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// StreamOptions tune WriteTar and WriteZip.
type StreamOptions struct {
	// Path selects a subtree, as in Options.Path.
	Path string
}

// streamer walks a tree in order (a directory before its entries) for the
// archive writers. Entries with unsafe names are refused and reported,
// never written.
type streamer struct {
	repo Repo
	rep  report
}

// walk calls fn for every node below the subtree opts.Path of root, with
// its slash-separated path inside the archive.
func (s *streamer) walk(ctx context.Context, root repo.ID, opts StreamOptions, fn func(p string, n *tree.Node) error) error {
	node, err := resolve(ctx, s.repo, tree.ID(root), opts.Path)
	if err != nil {
		return err
	}
	switch {
	case node == nil:
		return s.walkTree(ctx, "", tree.ID(root), fn)
	case node.Type == tree.TypeDir:
		if node.Subtree == nil {
			return nil
		}
		return s.walkTree(ctx, "", *node.Subtree, fn)
	}
	return s.visit(ctx, "", node, fn)
}

func (s *streamer) walkTree(ctx context.Context, prefix string, id tree.ID, fn func(string, *tree.Node) error) error {
	t, err := loadTree(ctx, s.repo, id)
	if err != nil {
		return fmt.Errorf("%s: %w", prefix, err) // a missing directory cannot be skipped silently
	}
	for i := range t.Nodes {
		if err := s.visit(ctx, prefix, &t.Nodes[i], fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *streamer) visit(ctx context.Context, prefix string, n *tree.Node, fn func(string, *tree.Node) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tree.ValidName(n.Name); err != nil {
		s.rep.fail(path.Join(prefix, fmt.Sprintf("%q", n.Name)), fmt.Errorf("refused: %w", err))
		return nil
	}
	p := path.Join(prefix, n.Name)
	if err := fn(p, n); err != nil {
		return err
	}
	if n.Type == tree.TypeDir && n.Subtree != nil {
		return s.walkTree(ctx, p, *n.Subtree, fn)
	}
	return nil
}

// copyContent writes the file's verified blobs to w, loading up to
// streamPrefetch blobs ahead. A damaged blob is an error: the archive
// cannot be continued once a header promised n.Size bytes.
func (s *streamer) copyContent(ctx context.Context, w io.Writer, p string, n *tree.Node) error {
	ctx, cancel := context.WithCancel(ctx)
	blobs, wait := s.prefetch(ctx, n.Content)
	defer func() {
		cancel()
		wait()
	}()
	var written uint64
	for i := range n.Content {
		var b loaded
		select {
		case b = <-blobs[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if b.err != nil {
			return fmt.Errorf("%s: blob %d of %d: %w", p, i+1, len(n.Content), b.err)
		}
		if written+uint64(len(b.data)) > n.Size {
			return fmt.Errorf("%s: content longer than its size %d: %w", p, n.Size, repo.ErrIntegrity)
		}
		if _, err := w.Write(b.data); err != nil {
			return err
		}
		written += uint64(len(b.data))
		b.release()
	}
	if written != n.Size {
		return fmt.Errorf("%s: content is %d bytes, the snapshot says %d: %w", p, written, n.Size, repo.ErrIntegrity)
	}
	return nil
}

// streamPrefetch bounds the blobs loaded but not yet written.
const streamPrefetch = 4

type loaded struct {
	data    []byte
	err     error
	release func()
}

// prefetch loads ids in parallel, at most streamPrefetch not yet released,
// and delivers each on its own channel. wait returns once every loader has
// stopped (cancel ctx first to stop them early).
func (s *streamer) prefetch(ctx context.Context, ids []tree.ID) (blobs []chan loaded, wait func()) {
	blobs = make([]chan loaded, len(ids))
	for i := range blobs {
		blobs[i] = make(chan loaded, 1)
	}
	slots := make(chan struct{}, streamPrefetch)
	release := func() { <-slots }
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, id := range ids {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				data, err := s.repo.LoadBlob(ctx, repo.DataBlob, id, nil)
				blobs[i] <- loaded{data: data, err: err, release: release}
			}()
		}
	}()
	return blobs, wg.Wait
}

// WriteContent writes the content of the file node n to w (for `dump` of
// one file), loading blobs ahead in parallel. Every blob is verified; a
// damaged one, or content that does not add up to n.Size, is an error.
func (rs *Restorer) WriteContent(ctx context.Context, w io.Writer, n *tree.Node) error {
	if n.Type != tree.TypeFile {
		return fmt.Errorf("%s is a %v, not a file", n.Name, n.Type)
	}
	s := &streamer{repo: rs.repo}
	return s.copyContent(ctx, w, n.Name, n)
}
