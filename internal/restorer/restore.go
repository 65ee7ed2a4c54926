package restorer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/arcabackup/arca/internal/fsmeta"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// restore is the state of one Restore call.
type restore struct {
	repo  Repo
	root  *os.Root
	opts  Options
	apply fsmeta.ApplyOptions
	rep   report
	prog  counters
	bufs  bufList
	euid  uint32 // the owner of the files this restore creates
	jobs  chan fileJob
	// batches carries directories' files from the walker to the creators
	batches chan dirBatch

	// the walker's own
	dirs   []dirMeta
	firsts map[inodeKey]string
	links  []linkJob

	failedMu sync.Mutex
	failed   map[string]bool // files that could not be written
}

type inodeKey struct{ dev, ino uint64 }

type fileJob struct {
	path string
	node *tree.Node
	dir  *dirHandle // holds a reference, released when the file is done
	fd   int        // the created file, open for writing
}

// fileEntry is a file for a creator; dirBatch is the files of one
// directory, holding a reference on it.
type fileEntry struct {
	path string
	node *tree.Node
}

type dirBatch struct {
	dir   *dirHandle
	files []fileEntry
}

// creators is how many directories' files are created at once.
const creators = 2

type linkJob struct {
	path  string
	first string
	node  *tree.Node
}

// dirMeta holds a copy of a directory's node (not a pointer into its
// tree, which would keep every tree of the restore in memory).
type dirMeta struct {
	path    string
	node    tree.Node
	existed bool
}

// Restore writes the tree with root id treeID (or the subtree opts.Path of
// it) into the directory target, which is created if missing. Per-file
// problems are listed in the result; the error is for what stops the whole
// restore (a cancelled context, an unreadable root tree, a target that
// cannot be opened). The result is valid also when the error is not nil.
func (rs *Restorer) Restore(ctx context.Context, treeID repo.ID, target string, opts Options) (*Result, error) {
	node, err := resolve(ctx, rs.repo, treeID, opts.Path)
	if err != nil {
		return &Result{}, fmt.Errorf("restore: %w", err)
	}
	_, statErr := os.Lstat(target)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(target, 0o700); err != nil {
		return &Result{}, fmt.Errorf("restore: create target: %w", err)
	}
	root, err := os.OpenRoot(target)
	if err != nil {
		return &Result{}, fmt.Errorf("restore: open target: %w", err)
	}
	defer root.Close()
	r := &restore{
		repo:    rs.repo,
		root:    root,
		opts:    opts,
		apply:   fsmeta.ApplyOptions{Owner: !opts.NoOwner && os.Geteuid() == 0},
		jobs:    make(chan fileJob, 64),
		batches: make(chan dirBatch, 16),
		bufs:    newBufList(opts.workers() * (chunkParallelism + 1)),
		euid:    uint32(os.Geteuid()),
		firsts:  map[inodeKey]string{},
		failed:  map[string]bool{},
	}
	if created && node != nil && node.Type == tree.TypeDir {
		// A target made for a selected directory gets its metadata.
		r.dirs = append(r.dirs, dirMeta{path: ".", node: *node})
	}
	stop := r.startReporting(ctx)
	err = r.run(ctx, tree.ID(treeID), node)
	stop()
	res := r.rep.res
	if err != nil {
		return &res, fmt.Errorf("restore: %w", err)
	}
	return &res, nil
}

func (r *restore) run(ctx context.Context, rootID tree.ID, node *tree.Node) error {
	g, gctx := errgroup.WithContext(ctx)
	for range r.opts.workers() {
		g.Go(func() error { return r.work(gctx) })
	}
	g.Go(func() error {
		defer close(r.jobs)
		cg, cctx := errgroup.WithContext(gctx)
		for range creators {
			cg.Go(func() error { return r.createBatches(cctx) })
		}
		cg.Go(func() error {
			defer close(r.batches)
			defer r.prog.walked.Store(true)
			return r.walkRoot(cctx, rootID, node)
		})
		return cg.Wait()
	})
	err := g.Wait()
	for b := range r.batches { // left by cancelled creators
		b.dir.release()
	}
	for job := range r.jobs { // left by cancelled workers
		r.abandon(job)
	}
	if err != nil {
		return err
	}
	r.prog.phase.Store(PhaseLinks)
	r.makeLinks()
	r.prog.phase.Store(PhaseMetadata)
	r.applyDirs()
	return ctx.Err()
}

// walkRoot restores the tree rootID, or the node selected in it.
func (r *restore) walkRoot(ctx context.Context, rootID tree.ID, node *tree.Node) error {
	switch {
	case node == nil:
		return r.walkDir(ctx, openRootHandle(r.root), rootID)
	case node.Type == tree.TypeDir && node.Subtree != nil:
		return r.walkDir(ctx, openRootHandle(r.root), *node.Subtree)
	case node.Type == tree.TypeDir:
		return nil
	}
	d := openRootHandle(r.root)
	defer d.release()
	if d.err != nil {
		r.rep.fail(".", d.err)
		return nil
	}
	var files []fileEntry
	if err := r.entry(ctx, d, ".", node, &files); err != nil {
		return err
	}
	return r.sendBatch(ctx, d, files)
}

// walkDir restores the entries of the tree id into the directory d, and
// releases the walker's reference on d. The directory's files go to the
// creators as one batch, before its subdirectories are walked.
func (r *restore) walkDir(ctx context.Context, d *dirHandle, id tree.ID) error {
	defer d.release()
	if d.err != nil {
		r.rep.fail(d.rel, d.err)
		return nil
	}
	t, err := loadTree(ctx, r.repo, id)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.rep.fail(d.rel, err)
		return nil
	}
	var files []fileEntry
	for i := range t.Nodes {
		if t.Nodes[i].Type == tree.TypeDir {
			continue
		}
		if err := r.entry(ctx, d, d.rel, &t.Nodes[i], &files); err != nil {
			return err
		}
	}
	if err := r.sendBatch(ctx, d, files); err != nil {
		return err
	}
	for i := range t.Nodes {
		if t.Nodes[i].Type != tree.TypeDir {
			continue
		}
		if err := r.entry(ctx, d, d.rel, &t.Nodes[i], nil); err != nil {
			return err
		}
	}
	return nil
}

// entry restores one node into the directory rel (open as d); a file is
// added to files, for the creators. Only a cancelled context is returned;
// everything else is a failure in the report.
func (r *restore) entry(ctx context.Context, d *dirHandle, rel string, n *tree.Node, files *[]fileEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := path.Join(rel, n.Name)
	if err := tree.ValidName(n.Name); err != nil {
		r.rep.fail(path.Join(rel, fmt.Sprintf("%q", n.Name)), fmt.Errorf("refused: %w", err))
		return nil
	}
	switch n.Type {
	case tree.TypeDir:
		existed, ok := r.makeDir(d, p, n.Name)
		if !ok {
			return nil
		}
		r.dirs = append(r.dirs, dirMeta{path: p, node: *n, existed: existed})
		r.rep.add(func(res *Result) { res.Dirs++ })
		if n.Subtree == nil {
			return nil
		}
		return r.walkDir(ctx, openChild(d, n.Name, p, !existed), *n.Subtree)
	case tree.TypeFile:
		r.queueFile(p, n, files)
		return nil
	}
	r.special(d, p, n)
	return nil
}

// queueFile adds a file to the batch of its directory, or records a
// further hard link to make once the files are written.
func (r *restore) queueFile(p string, n *tree.Node, files *[]fileEntry) {
	if n.Links > 1 && n.Inode != 0 {
		key := inodeKey{n.DeviceID, n.Inode}
		if first, ok := r.firsts[key]; ok {
			ln := *n
			ln.Content, ln.Xattrs = nil, nil
			r.links = append(r.links, linkJob{path: p, first: first, node: &ln})
			return
		}
		r.firsts[key] = p
	}
	r.prog.filesTotal.Add(1)
	r.prog.bytesTotal.Add(n.Size)
	*files = append(*files, fileEntry{path: p, node: n})
}

// sendBatch hands the files of the directory d to the creators.
func (r *restore) sendBatch(ctx context.Context, d *dirHandle, files []fileEntry) error {
	if len(files) == 0 {
		return nil
	}
	d.acquire()
	select {
	case r.batches <- dirBatch{dir: d, files: files}:
		return nil
	case <-ctx.Done():
		d.release()
		return ctx.Err()
	}
}

// createBatches is a creator: it creates the files of queued directories,
// one directory at a time, and queues them for the workers. Creates in
// one directory take its lock in turn, and workers queueing for it would
// spin on the lock; creators work on different directories.
func (r *restore) createBatches(ctx context.Context) error {
	for {
		select {
		case b, ok := <-r.batches:
			if !ok {
				return nil
			}
			err := r.createBatch(ctx, b)
			b.dir.release()
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *restore) createBatch(ctx context.Context, b dirBatch) error {
	for _, f := range b.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		fd, ok := r.createFile(b.dir, f.path, f.node)
		if !ok {
			continue
		}
		b.dir.acquire()
		job := fileJob{path: f.path, node: f.node, dir: b.dir, fd: fd}
		select {
		case r.jobs <- job:
		case <-ctx.Done():
			r.abandon(job)
			return ctx.Err()
		}
	}
	return nil
}

// makeLinks creates the further hard links, after all files are written.
func (r *restore) makeLinks() {
	for _, l := range r.links {
		r.failedMu.Lock()
		firstFailed := r.failed[l.first]
		r.failedMu.Unlock()
		if firstFailed {
			r.rep.fail(l.path, fmt.Errorf("hard link to %s, which failed", l.first))
			continue
		}
		created, err := r.create(l.path, l.node, func() error { return r.root.Link(l.first, l.path) })
		switch {
		case err != nil:
			r.rep.fail(l.path, err)
		case created:
			r.rep.add(func(res *Result) { res.Links++ })
		}
	}
}

// applyDirs sets directory metadata, deepest first, once nothing more is
// written into them.
func (r *restore) applyDirs() {
	for i := len(r.dirs) - 1; i >= 0; i-- {
		dm := r.dirs[i]
		if dm.existed && r.opts.Overwrite == OverwriteNever {
			continue
		}
		// O_NOFOLLOW: never chmod or chown what a symlink put in its place.
		d, err := r.root.OpenFile(dm.path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
		if err != nil {
			r.rep.fail(dm.path, err)
			continue
		}
		err = fsmeta.ApplyFile(d, &dm.node, r.apply, !r.opts.NoXattrs)
		err = errors.Join(err, fsmeta.SetFileTimes(d, &dm.node))
		d.Close()
		if err != nil {
			r.rep.fail(dm.path, fmt.Errorf("metadata: %w", err))
		}
	}
}
