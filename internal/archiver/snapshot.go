package archiver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/fsmeta"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// run is the state of one Snapshot call.
type run struct {
	repo     Repo
	opts     SnapshotOptions
	meta     *fsmeta.Reader
	excl     *Matcher
	incl     *Matcher
	files    chan *fileJob
	chunks   chan *chunkJob
	inFlight *semaphore.Weighted
	maxChunk int64
	bufs     bufPools
	// chunkers is the pool of chunkers, at most cap(chunkers) of them.
	chunkers     chan repo.Chunker
	chunkersMade atomic.Int64
	// smallMax is the chunker's minimum chunk size: a file no larger is
	// read as one chunk without a chunker.
	smallMax int
	progress counters
	links    map[inodeKey]*future // the walker's only
	dirBuf   []byte               // the walker's only: getdents scratch
	listing  *Listing
	pre      *prefetcher // nil: no prefetching (a backup with a parent)
	warnMu   sync.Mutex
	warnings []Warning

	testHookOpen       func(path string)
	testHookPrefetched func(path string)
}

type inodeKey struct{ dev, ino uint64 }

// Snapshot backs up paths (files or directories) and saves a snapshot.
//
// The snapshot's root tree holds one node per path, named by the path's
// last element ("root" for "/"); two paths with the same last element are
// refused. On success the snapshot is durable: its blobs were flushed
// before it was saved.
func (a *Archiver) Snapshot(ctx context.Context, paths []string, opts SnapshotOptions) (*Result, error) {
	roots, err := resolveRoots(paths)
	if err != nil {
		opts.Listing.Stop()
		return nil, err
	}
	r, err := a.newRun(opts)
	if err != nil {
		opts.Listing.Stop()
		return nil, err
	}
	r.listing = opts.Listing
	if !r.listing.matches(roots, opts) {
		r.listing.Stop()
		r.listing = startListing(ctx, roots, r.excl, opts)
	}
	defer r.listing.Stop()
	started := a.opts.Now()
	before := a.repo.Stats()
	uncache := cacheTreePacks(a.repo, opts.Parent != nil)
	parent := r.loadParent(ctx)
	if parent == nil {
		r.pre = newPrefetcher(a.prefetchMin)
	}

	stopReporting := r.startReporting(ctx, roots)
	rootID, err := r.backup(ctx, a.opts, roots, parent)
	uncache()
	if err == nil {
		r.progress.setPhase(PhaseFlush)
		err = a.repo.Flush(ctx)
	}
	if err != nil {
		stopReporting()
		return nil, fmt.Errorf("backup: %w", err)
	}
	sn := r.snapshot(roots, rootID, started, before, a.repo.Stats())
	sn.Stats.Finished = a.opts.Now()
	r.progress.setPhase(PhaseSnapshot)
	id, err := a.repo.SaveSnapshot(ctx, sn)
	stopReporting()
	if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	return &Result{ID: id, Snapshot: sn, Warnings: r.warnings}, nil
}

func (a *Archiver) newRun(opts SnapshotOptions) (*run, error) {
	excl, err := NewMatcher(opts.Excludes)
	if err != nil {
		return nil, arca.Errorf(arca.CodeInvalidArgument, "Bad exclude pattern: %v.", err)
	}
	incl, err := NewMatcher(opts.Includes)
	if err != nil {
		return nil, arca.Errorf(arca.CodeInvalidArgument, "Bad include pattern: %v.", err)
	}
	meta := fsmeta.NewReader()
	meta.NoXattrs = opts.NoXattrs
	return &run{
		repo:     a.repo,
		opts:     opts,
		meta:     meta,
		excl:     excl,
		incl:     incl,
		files:    make(chan *fileJob, 4*a.opts.Readers),
		chunks:   make(chan *chunkJob, 2*a.opts.Savers),
		inFlight: semaphore.NewWeighted(a.opts.MaxInFlight),
		maxChunk: a.opts.MaxInFlight,
		chunkers: make(chan repo.Chunker, a.opts.Savers),
		smallMax: smallMax(a.repo),
		links:    map[inodeKey]*future{},
		dirBuf:   make([]byte, 32<<10),

		testHookOpen:       a.testHookOpen,
		testHookPrefetched: a.testHookPrefetched,
	}, nil
}

// root is one path to back up.
type root struct {
	path string // absolute, cleaned
	name string // its node's name in the root tree
}

func resolveRoots(paths []string) ([]root, error) {
	if len(paths) == 0 {
		return nil, arca.Errorf(arca.CodeInvalidArgument, "Give at least one path to back up.")
	}
	seen := map[string]string{}
	roots := make([]root, 0, len(paths))
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("resolve %q: %w", p, err)
		}
		name := filepath.Base(abs)
		if name == "/" {
			name = "root"
		}
		if other, dup := seen[name]; dup {
			return nil, arca.Errorf(arca.CodeInvalidArgument,
				"The paths %q and %q end in the same name %q; back them up in separate snapshots or back up their parent.", other, abs, name)
		}
		seen[name] = abs
		roots = append(roots, root{path: abs, name: name})
	}
	return roots, nil
}

// backup runs the pipeline and returns the id of the root tree.
func (r *run) backup(ctx context.Context, opts Options, roots []root, parent *tree.Tree) (repo.ID, error) {
	g, gctx := errgroup.WithContext(ctx)
	var readers sync.WaitGroup
	for range opts.Readers {
		readers.Add(1)
		g.Go(func() error {
			defer readers.Done()
			return r.readFiles(gctx)
		})
	}
	g.Go(func() error {
		readers.Wait()
		close(r.chunks)
		return nil
	})
	for range opts.Savers {
		g.Go(func() error { return r.saveChunks(gctx) })
	}
	if r.pre != nil {
		g.Go(func() error { return r.prefetchFiles(gctx) })
	}
	var rootID repo.ID
	g.Go(func() error {
		var err error
		rootID, err = r.walkRoots(gctx, g, roots, parent)
		return err
	})
	if err := g.Wait(); err != nil {
		return repo.ID{}, err
	}
	return rootID, ctx.Err()
}

// walkRoots walks every root, then waits for all of them and saves the
// root tree. It is the only sender on r.files and closes it.
func (r *run) walkRoots(ctx context.Context, g *errgroup.Group, roots []root, parent *tree.Tree) (repo.ID, error) {
	defer r.pre.halt() // every file is done: what is left to prefetch is not needed
	entries := make([]*entry, 0, len(roots))
	err := func() error {
		defer close(r.files)
		for i, rt := range roots {
			e, err := r.rootEntry(ctx, g, i, rt, parent)
			if err != nil {
				return err
			}
			if e != nil {
				entries = append(entries, e)
			}
		}
		return nil
	}()
	if err != nil {
		return repo.ID{}, err
	}
	nodes, err := collect(ctx, entries)
	if err != nil {
		return repo.ID{}, err
	}
	if len(nodes) == 0 {
		return repo.ID{}, arca.Errorf(arca.CodeInvalidArgument, "Nothing to back up: none of the paths could be read (see the warnings), or the include and exclude patterns left nothing.")
	}
	return r.saveTree(ctx, nodes)
}

func (r *run) rootEntry(ctx context.Context, g *errgroup.Group, i int, rt root, parent *tree.Tree) (*entry, error) {
	var pn *tree.Node
	if parent != nil {
		pn = parent.Find(rt.name)
	}
	ls := &r.listing.rootStats[i]
	if ls.err != nil {
		r.warn(rt.path, ls.err)
		return nil, nil
	}
	d := dirCtx{root: i, included: r.incl.Empty()}
	st := r.inspect(rt.name, rt.path, &ls.st, d, pn)
	if !st.ok {
		return nil, nil
	}
	d.included = st.included
	e, err := r.newEntry(ctx, g, st, d)
	if e != nil {
		e.rename(rt.name)
	}
	return e, err
}

func (r *run) warn(path string, err error) {
	r.progress.warnings.Add(1)
	msg := err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	if errors.Is(err, os.ErrNotExist) {
		msg = "vanished during the backup (" + msg + ")"
	}
	r.warnMu.Lock()
	defer r.warnMu.Unlock()
	if len(r.warnings) < maxWarnings {
		r.warnings = append(r.warnings, Warning{Path: path, Message: msg})
	}
}

// loadParent loads the parent snapshot's root tree; a parent that cannot
// be loaded is a warning and the backup reads everything.
func (r *run) loadParent(ctx context.Context) *tree.Tree {
	if r.opts.Parent == nil {
		return nil
	}
	sn, err := r.repo.LoadSnapshot(ctx, *r.opts.Parent)
	if err != nil {
		r.warn("(parent snapshot "+r.opts.Parent.Short()+")", err)
		return nil
	}
	t, err := r.loadTree(ctx, sn.Tree)
	if err != nil {
		r.warn("(parent snapshot "+r.opts.Parent.Short()+")", err)
		return nil
	}
	return t
}

func (r *run) loadTree(ctx context.Context, id repo.ID) (*tree.Tree, error) {
	data, err := r.repo.LoadBlob(ctx, repo.TreeBlob, id, nil)
	if err != nil {
		return nil, fmt.Errorf("load tree %v: %w", id.Short(), err)
	}
	return tree.Decode(data)
}

func (r *run) snapshot(roots []root, rootID repo.ID, started time.Time, before, after repo.SaveStats) *repo.Snapshot {
	sn := r.opts.Template
	if sn.Time.IsZero() {
		sn.Time = started
	}
	sn.Paths = make([]string, len(roots))
	for i, rt := range roots {
		sn.Paths[i] = rt.path
	}
	sn.Tree = rootID
	sn.Parent = r.opts.Parent
	sn.Excludes = r.opts.Excludes
	sn.ContentDigest = "ARCA-TREE:" + rootID.String()
	sn.Stats = r.progress.stats()
	sn.Stats.Started = started
	// The repository's own count: it includes what other backups sharing
	// the same *repo.Repository stored meanwhile.
	sn.Stats.BytesStored = after.BytesStored - before.BytesStored
	sn.Stats.Warnings = r.progress.warnings.Load()
	return &sn
}

// treePackCacher is a repository that can keep whole tree packs in memory
// (*repo.Repository).
type treePackCacher interface {
	CacheTreePacks() (release func())
}

// cacheTreePacks turns on the repository's tree pack cache, if it has one,
// while the walk loads the parent snapshot's trees: one read per pack
// instead of one per directory. It returns the function that releases it.
func cacheTreePacks(r Repo, parent bool) (release func()) {
	if c, ok := r.(treePackCacher); ok && parent {
		return c.CacheTreePacks()
	}
	return func() {}
}

// smallMax returns the largest file size that is always one chunk.
func smallMax(r Repo) int {
	if c, ok := r.(configurer); ok {
		return c.Config().Chunker.Min
	}
	return 0
}
