package archiver

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/fsmeta"
)

// listAhead bounds the entries a Listing holds that the walk has not taken
// yet (about 200 bytes each, 1.6 MiB in all, inside a first backup's
// memory budget): more than the listing gets done while the index loads.
const listAhead = 8 << 10

// Listing lists and lstats the directories of a backup ahead of its walk,
// in the walk's order, on a goroutine of its own: the system calls of an
// incremental backup (a getdents per directory, an lstat per entry, most
// of its CPU once the repository is open) run beside the comparison with
// the parent snapshot instead of before it, and, started with StartListing
// while the repository opens, beside loading its index. A Listing only
// reads the file system; Snapshot reports what it could not read.
type Listing struct {
	roots     []root
	rootStats []listedEntry
	excludes  []string
	oneFS     bool
	excl      *Matcher

	cancel context.CancelFunc
	done   chan struct{}
	dirs   chan *listedDir
	budget *semaphore.Weighted
	stop   sync.Once

	// taken is the walker's only: a directory listed but not yet taken.
	taken *listedDir
}

// listedEntry is the lstat result of one path.
type listedEntry struct {
	st  unix.Stat_t
	err error
}

// listedDir is a directory's sorted entry names and their lstat results.
type listedDir struct {
	root   int // index of the root it is below
	path   string
	names  []string
	stats  []unix.Stat_t
	errs   []error // lstat errors by entry, nil where stats holds the result
	err    error   // listing error: names are what could be listed
	weight int64   // of Listing.budget
}

// StartListing starts listing paths for a Snapshot with opts, which must
// get the Listing in SnapshotOptions.Listing; Snapshot takes it over and
// stops it. It returns nil if paths or patterns are invalid (Snapshot
// reports them). Stop it if it is not passed on.
func StartListing(ctx context.Context, paths []string, opts SnapshotOptions) *Listing {
	roots, err := resolveRoots(paths)
	if err != nil {
		return nil
	}
	excl, err := NewMatcher(opts.Excludes)
	if err != nil {
		return nil
	}
	return startListing(ctx, roots, excl, opts)
}

func startListing(ctx context.Context, roots []root, excl *Matcher, opts SnapshotOptions) *Listing {
	ctx, cancel := context.WithCancel(ctx)
	l := &Listing{
		roots: roots, excludes: slices.Clone(opts.Excludes), oneFS: opts.OneFileSystem, excl: excl,
		cancel: cancel, done: make(chan struct{}), dirs: make(chan *listedDir, listAhead), // the budget bounds it first
		budget: semaphore.NewWeighted(listAhead),
	}
	l.rootStats = make([]listedEntry, len(roots))
	for i, rt := range roots {
		l.rootStats[i].err = fsmeta.Lstatat(unix.AT_FDCWD, rt.path, rt.path, &l.rootStats[i].st)
	}
	go l.run(ctx)
	return l
}

// Stop stops the listing and waits for its goroutine. Safe on nil and
// more than once.
func (l *Listing) Stop() {
	if l == nil {
		return
	}
	l.stop.Do(func() {
		l.cancel()
		<-l.done
	})
}

// matches reports whether l lists what a Snapshot of roots with opts walks.
func (l *Listing) matches(roots []root, opts SnapshotOptions) bool {
	return l != nil && slices.Equal(l.roots, roots) && slices.Equal(l.excludes, opts.Excludes) && l.oneFS == opts.OneFileSystem
}

func (l *Listing) run(ctx context.Context) {
	defer close(l.done)
	defer close(l.dirs)
	buf := make([]byte, 32<<10)
	for i, rt := range l.roots {
		st := &l.rootStats[i]
		if st.err != nil || !fsmeta.IsDir(&st.st) || l.excl.Match(rt.path, true) {
			continue
		}
		if !l.listTree(ctx, i, rt.path, uint64(st.st.Dev), buf) {
			return
		}
	}
}

// listTree lists the directory at path and, depth first in name order as
// the walk goes, the directories below it that the walk descends into.
// It returns false when ctx is done.
func (l *Listing) listTree(ctx context.Context, root int, path string, rootDev uint64, buf []byte) bool {
	d := listDir(path, buf)
	d.root = root
	d.weight = int64(min(len(d.names)+1, listAhead))
	if err := l.budget.Acquire(ctx, d.weight); err != nil {
		return false
	}
	select {
	case l.dirs <- d:
	case <-ctx.Done():
		return false
	}
	for i, name := range d.names {
		st := &d.stats[i]
		if d.errs[i] != nil || !fsmeta.IsDir(st) {
			continue
		}
		p := childPath(path, name)
		if l.excl.Match(p, true) || (l.oneFS && uint64(st.Dev) != rootDev) {
			continue
		}
		if !l.listTree(ctx, root, p, rootDev, buf) {
			return false
		}
	}
	return true
}

// listDir lists the directory at path and lstats its entries relative to
// its handle. buf is getdents scratch.
func listDir(path string, buf []byte) *listedDir {
	dir, err := fsmeta.OpenDir(path, buf)
	d := &listedDir{path: path, err: err}
	if dir == nil {
		return d
	}
	d.names = dir.Names
	d.stats = make([]unix.Stat_t, len(d.names))
	d.errs = make([]error, len(d.names))
	lstat := func(i int) {
		d.errs[i] = fsmeta.Lstatat(dir.FD, d.names[i], childPath(path, d.names[i]), &d.stats[i])
	}
	// Each lstat costs microseconds of system time: a larger directory is
	// shared with helpers, one per lstatPerWorker entries up to a core each.
	helpers := min(runtime.GOMAXPROCS(0), len(d.names)/lstatPerWorker) - 1
	if helpers <= 0 {
		for i := range d.names {
			lstat(i)
		}
	} else {
		var next atomic.Int64
		work := func() {
			for i := int(next.Add(1)) - 1; i < len(d.names); i = int(next.Add(1)) - 1 {
				lstat(i)
			}
		}
		var wg sync.WaitGroup
		for range helpers {
			wg.Go(work)
		}
		work()
		wg.Wait()
	}
	dir.Close()
	return d
}

// lstatPerWorker is how many entries a directory needs per goroutine
// lstatting them.
const lstatPerWorker = 16

// take returns the listing of the directory at path under root number
// root, or nil if the Listing does not have it (stopped, or it did not
// descend there): the walker then lists it itself. Listings before it, of
// directories the walker left out (an entry whose metadata could not be
// read), are dropped. Walker only.
func (l *Listing) take(ctx context.Context, root int, path string) *listedDir {
	if l == nil {
		return nil
	}
	for {
		d := l.taken
		l.taken = nil
		if d == nil {
			var ok bool
			select {
			case d, ok = <-l.dirs:
			case <-ctx.Done():
				return nil
			}
			if !ok {
				return nil
			}
		}
		if d.root > root || (d.root == root && walkedBefore(path, d.path)) {
			l.taken = d // the walker gets there later
			return nil
		}
		l.budget.Release(d.weight)
		if d.root == root && d.path == path {
			return d
		}
	}
}

// walkedBefore reports whether the walk reaches path a before path b, both
// below the same root: depth first in name order is the order of their
// components compared one by one.
func walkedBefore(a, b string) bool {
	for a != "" && b != "" {
		ca, ra, _ := strings.Cut(a, "/")
		cb, rb, _ := strings.Cut(b, "/")
		if ca != cb {
			return ca < cb
		}
		a, b = ra, rb
	}
	return a == "" && b != ""
}
