package archiver

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/fsmeta"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// future is a node that is still being worked on: a file being read or a
// directory whose entries are not all done. Its owner fills node (or sets
// skip) and then closes done.
type future struct {
	done chan struct{}
	node tree.Node
	skip bool // dropped, with a warning
}

func newFuture(n tree.Node) *future { return &future{done: make(chan struct{}), node: n} }

func resolved(n tree.Node) *future {
	f := newFuture(n)
	close(f.done)
	return f
}

func (f *future) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// entry is one entry of a directory being walked.
type entry struct {
	fut    *future
	linkOf *future // a further hard link of a file: its content comes from linkOf
	name   string  // overrides the node's name if set (roots)
}

func (e *entry) rename(name string) { e.name = name }

// collect waits for the entries and returns their nodes, sorted, without
// the skipped ones.
func collect(ctx context.Context, entries []*entry) ([]tree.Node, error) {
	nodes := make([]tree.Node, 0, len(entries))
	for _, e := range entries {
		if err := e.fut.wait(ctx); err != nil {
			return nil, err
		}
		if e.fut.skip {
			continue
		}
		n := e.fut.node
		if e.linkOf != nil {
			if err := e.linkOf.wait(ctx); err != nil {
				return nil, err
			}
			if e.linkOf.skip {
				continue // the linked file could not be read: warned there
			}
			n.Content, n.Size = e.linkOf.node.Content, e.linkOf.node.Size
		}
		if e.name != "" {
			n.Name = e.name
		}
		nodes = append(nodes, n)
	}
	// Entries come in listing order, sorted by name: only roots, renamed,
	// may need sorting.
	byName := func(a, b tree.Node) int { return strings.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(nodes, byName) {
		slices.SortFunc(nodes, byName)
	}
	return nodes, nil
}

// dirCtx is what a directory's entries inherit.
type dirCtx struct {
	root     int    // index of the backup path it is below
	rootDev  uint64 // device of the backup path, for OneFileSystem (0: not yet known)
	included bool   // inside a path an include pattern selected (or no includes)
}

// statted is a path after lstat, the exclude and include patterns and
// reading its metadata.
type statted struct {
	path     string
	node     tree.Node
	prev     *tree.Node // the same path's node in the parent snapshot
	included bool       // selected by the include patterns (or no includes)
	ok       bool       // false: excluded, or unreadable (warned)
}

// inspect applies the patterns to the entry name at path, whose lstat
// result is st, and reads its metadata unless they leave it out. d is the
// context of the directory it is in; prev is the same path's node in the
// parent snapshot.
func (r *run) inspect(name, path string, st *unix.Stat_t, d dirCtx, prev *tree.Node) statted {
	isDir := fsmeta.IsDir(st)
	if r.excl.Match(path, isDir) {
		return statted{}
	}
	included := d.included || r.incl.Match(path, isDir)
	if !included && !isDir {
		return statted{}
	}
	n, err := r.meta.NodeAt(unix.AT_FDCWD, name, path, st, prev)
	if err != nil {
		r.warn(path, err)
		return statted{}
	}
	// Access times are not kept: reading a directory changes its own, so
	// every backup would write new trees.
	n.AccessTime = time.Time{}
	return statted{path: path, node: n, prev: prev, included: included, ok: true}
}

// inspectAll inspects the entries of the listed directory ld, in parallel
// when there are enough of them: reading the xattrs of changed files costs
// a system call or more each.
func (r *run) inspectAll(ld *listedDir, d dirCtx, parent *tree.Tree) []statted {
	names := ld.names
	out := make([]statted, len(names))
	one := func(i int) {
		p := childPath(ld.path, names[i])
		if err := ld.errs[i]; err != nil {
			r.warn(p, err)
			return
		}
		var prev *tree.Node
		if parent != nil {
			prev = parent.Find(names[i])
		}
		out[i] = r.inspect(names[i], p, &ld.stats[i], d, prev)
	}
	workers := min(runtime.GOMAXPROCS(0), len(names)/inspectPerWorker)
	if workers <= 1 {
		for i := range names {
			one(i)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(names); i = int(next.Add(1)) - 1 {
				one(i)
			}
		}()
	}
	wg.Wait()
	return out
}

// inspectPerWorker is how many entries a directory needs per extra
// goroutine inspecting them.
const inspectPerWorker = 16

// childPath is the path of the entry name of the directory at dir.
func childPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// newEntry makes the entry for a statted path.
func (r *run) newEntry(ctx context.Context, g *errgroup.Group, st statted, d dirCtx) (*entry, error) {
	n, path, pn := st.node, st.path, st.prev
	switch n.Type {
	case tree.TypeDir:
		r.progress.dirs.Add(1)
		if d.rootDev == 0 {
			d.rootDev = n.DeviceID
		}
		sub := dirCtx{root: d.root, rootDev: d.rootDev, included: st.included}
		if r.opts.OneFileSystem && n.DeviceID != d.rootDev {
			return &entry{fut: r.finishLater(ctx, g, path, n, nil, sub)}, nil
		}
		fut, err := r.walkDir(ctx, g, path, n, r.parentSubtree(ctx, path, pn), sub)
		return &entry{fut: fut}, err
	case tree.TypeFile:
		return r.fileEntry(ctx, path, n, pn)
	}
	r.progress.others.Add(1)
	r.progress.filesDone.Add(1)
	return &entry{fut: resolved(n)}, nil
}

// walkDir lists and walks the directory at path and returns the future of
// its node, done once its tree is saved.
func (r *run) walkDir(ctx context.Context, g *errgroup.Group, path string, n tree.Node, parent *tree.Tree, d dirCtx) (*future, error) {
	ld := r.listing.take(ctx, d.root, path)
	if ld == nil {
		ld = listDir(path, r.dirBuf)
	}
	if ld.err != nil {
		r.warn(path, ld.err) // saved with what could be listed
	}
	stats := r.inspectAll(ld, d, parent)
	entries := make([]*entry, 0, len(stats))
	for _, st := range stats {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !st.ok {
			continue
		}
		e, err := r.newEntry(ctx, g, st, d)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return r.finishLater(ctx, g, path, n, entries, d), nil
}

// finishLater returns the future of a directory node whose tree is saved
// once all entries are done.
func (r *run) finishLater(ctx context.Context, g *errgroup.Group, path string, n tree.Node, entries []*entry, d dirCtx) *future {
	fut := newFuture(n)
	g.Go(func() error {
		nodes, err := collect(ctx, entries)
		if err != nil {
			return err
		}
		if !d.included && len(nodes) == 0 {
			fut.skip = true // nothing selected by the include patterns below
			close(fut.done)
			return nil
		}
		id, err := r.saveTree(ctx, nodes)
		if err != nil {
			return err
		}
		sub := tree.ID(id)
		fut.node.Subtree = &sub
		close(fut.done)
		return nil
	})
	return fut
}

func (r *run) saveTree(ctx context.Context, nodes []tree.Node) (repo.ID, error) {
	data, err := tree.Encode(&tree.Tree{Nodes: nodes})
	if err != nil {
		return repo.ID{}, err
	}
	id, added, err := r.repo.SaveBlob(ctx, repo.TreeBlob, data)
	if err != nil {
		return repo.ID{}, err
	}
	if added {
		r.progress.treeBlobs.Add(1)
		r.progress.bytesAdded.Add(uint64(len(data)))
	}
	return id, nil
}

// parentSubtree loads the parent snapshot's tree of a directory; a tree
// that cannot be loaded only costs the reuse of its files (a warning).
func (r *run) parentSubtree(ctx context.Context, path string, pn *tree.Node) *tree.Tree {
	if pn == nil || pn.Type != tree.TypeDir || pn.Subtree == nil {
		return nil
	}
	t, err := r.loadTree(ctx, *pn.Subtree)
	if err != nil {
		if ctx.Err() == nil {
			r.warn(path, errors.New("parent snapshot's tree unreadable, files read again: "+err.Error()))
		}
		return nil
	}
	return t
}
