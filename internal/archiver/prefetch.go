package archiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// prefetchMin is the size from which a file of a first backup is read
// early, by the prefetcher (Archiver.prefetchMin, which tests lower).
//
// The walker reaches files in path order, so a tree of many small files
// followed by a few large ones runs in two phases: first bound by the CPU
// (many compressible files: zstd, syscalls), then by the storage
// (incompressible large files write as many bytes as they read), each
// leaving the other resource idle. Reading the large files from the start
// overlaps the two. A backup with a parent reads only changed files and
// does not prefetch (which files changed is known only when the walker
// compares them with the parent).
const prefetchMin = 8 << 20

// maxPrefetches bounds the files found and not yet taken by the walker
// (each a path and, once read, its chunk ids).
const maxPrefetches = 4096

// prefetcher reads the large files of a first backup ahead of the walker,
// in the order a finder (the pre-scan) finds them. The walker takes the
// content of such a file when it reaches it, or claims it to read itself
// if the prefetcher has not started it.
type prefetcher struct {
	min    int64 // the smallest file to prefetch
	mu     sync.Mutex
	wake   chan struct{} // a file was queued or the finder ended (cap 1)
	queue  []*prefetch   // found, not started
	byPath map[string]*prefetch
	links  map[inodeKey]bool // hard-linked files queued: one path each
	found  bool              // the finder has ended
	stop   chan struct{}     // closed when the walk no longer needs prefetches
	stopMu sync.Once
}

// prefetch is one large file, from found to read.
type prefetch struct {
	path    string
	claimed bool // the walker reads it itself: skip it
	opened  bool // st is set: the walker may take it
	st      syscall.Stat_t
	// Set by the prefetcher when it has read the file:
	finished bool
	ids      []tree.ID
	read     int64
	after    *syscall.Stat_t
	err      error
	job      *fileJob // the walker's, once taken
}

func newPrefetcher(min int64) *prefetcher {
	return &prefetcher{min: min, wake: make(chan struct{}, 1), byPath: map[string]*prefetch{}, links: map[inodeKey]bool{}, stop: make(chan struct{})}
}

// add queues a file the finder found.
func (p *prefetcher) add(path string, st *unix.Stat_t) {
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size < p.min {
		return
	}
	p.mu.Lock()
	// The walker reads one path of a hard-linked file; the others link to
	// it (and never take a prefetch). Beyond maxPrefetches waiting for the
	// walker, files are left to it: the queue's memory stays bounded.
	key := inodeKey{st.Dev, st.Ino}
	if (st.Nlink > 1 && p.links[key]) || len(p.byPath) >= maxPrefetches {
		p.mu.Unlock()
		return
	}
	if st.Nlink > 1 {
		p.links[key] = true
	}
	if _, dup := p.byPath[path]; !dup {
		f := &prefetch{path: path}
		p.byPath[path] = f
		p.queue = append(p.queue, f)
	}
	p.mu.Unlock()
	p.signal()
}

// finderDone tells the prefetcher that nothing more will be queued.
func (p *prefetcher) finderDone() {
	p.mu.Lock()
	p.found = true
	p.mu.Unlock()
	p.signal()
}

func (p *prefetcher) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// halt stops the prefetcher after the chunk it is saving.
func (p *prefetcher) halt() {
	if p != nil {
		p.stopMu.Do(func() { close(p.stop) })
	}
}

// take returns the prefetch of path if the walker can use it for the file
// it lstat'ed as n: started, and the same file (inode, size, times) as
// the prefetcher opened. Otherwise it claims path, so that the prefetcher
// leaves it to the walker, and returns nil.
func (p *prefetcher) take(path string, n *tree.Node) *prefetch {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.byPath[path]
	if f == nil {
		return nil
	}
	delete(p.byPath, path)
	if !f.opened || !sameFile(&f.st, n) {
		f.claimed = true
		return nil
	}
	return f
}

// sameFile reports whether st describes the file n was made from.
func sameFile(st *syscall.Stat_t, n *tree.Node) bool {
	return st.Ino == n.Inode && sameSizeAndTimes(st, n)
}

// attach hands the walker's job for a taken prefetch over: it is finished
// now if the file has been read, or else when the prefetcher has read it.
func (r *run) attach(f *prefetch, job *fileJob) {
	r.pre.mu.Lock()
	done := f.finished
	if !done {
		f.job = job
	}
	r.pre.mu.Unlock()
	if done {
		r.finishPrefetched(f, job)
	}
}

func (r *run) finishPrefetched(f *prefetch, job *fileJob) {
	r.progress.bytesDone.Add(uint64(f.read))
	r.finishFile(job, f.ids, f.read, f.after, f.err)
}

// next waits for the next file to prefetch; nil when there is none left or
// the prefetcher is stopped.
func (p *prefetcher) next(ctx context.Context) *prefetch {
	for {
		select {
		case <-p.stop:
			return nil // the walk is over: start nothing more
		default:
		}
		p.mu.Lock()
		for len(p.queue) > 0 {
			f := p.queue[0]
			p.queue[0] = nil
			p.queue = p.queue[1:]
			if !f.claimed {
				p.mu.Unlock()
				return f
			}
		}
		found := p.found
		p.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-p.wake:
		case <-p.stop:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// prefetchFiles is the prefetcher: it reads queued files until there are
// none left or the walk is over. It returns only fatal errors (the
// repository's or ctx's).
func (r *run) prefetchFiles(ctx context.Context) error {
	ch := r.repo.NewChunker(nil) // its own: the readers' pool stays theirs
	defer ch.Reset(nil)
	for {
		f := r.pre.next(ctx)
		if f == nil {
			return ctx.Err()
		}
		if err := r.prefetchFile(ctx, ch, f); err != nil {
			return err
		}
	}
}

// readError is an error reading a file (not saving it).
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

// errHalted ends a prefetch the walk no longer needs.
var errHalted = errors.New("prefetch halted")

// prefetchFile reads, chunks and saves one file, then finishes the
// walker's job for it if the walker has taken it meanwhile.
func (r *run) prefetchFile(ctx context.Context, ch repo.Chunker, f *prefetch) error {
	if r.testHookOpen != nil {
		r.testHookOpen(f.path)
	}
	file, st, openErr := openFile(f.path)
	if openErr == nil {
		defer file.Close()
	}
	r.pre.mu.Lock()
	if openErr != nil || f.claimed {
		f.claimed = true // the walker reads it (and reports the error) itself
		r.pre.mu.Unlock()
		return nil
	}
	f.st, f.opened = *st, true
	r.pre.mu.Unlock()

	cr := &countingReader{r: file, progress: &r.progress, notDone: true}
	ids, err := r.prefetchChunks(ctx, ch, cr, f.path)
	var rerr *readError
	switch {
	case errors.Is(err, errHalted) || ctx.Err() != nil:
		return ctx.Err() // the walk is over (or failed): nobody waits for f
	case errors.As(err, &rerr):
		err = rerr.err // the walker's warning
	case err != nil:
		return err
	}
	var after *syscall.Stat_t
	if err == nil {
		after, _ = file.stat()
	}
	r.pre.mu.Lock()
	f.ids, f.read, f.after, f.err, f.finished = ids, cr.n, after, err, true
	job := f.job
	r.pre.mu.Unlock()
	if r.testHookPrefetched != nil {
		r.testHookPrefetched(f.path)
	}
	if job != nil {
		r.finishPrefetched(f, job)
	}
	return nil
}

// prefetchChunks saves the chunks of one file in the prefetcher's own
// goroutine and returns their ids. A read error comes as a *readError,
// for the walker's warning; other errors are fatal.
func (r *run) prefetchChunks(ctx context.Context, ch repo.Chunker, rd io.Reader, path string) ([]tree.ID, error) {
	ch.Reset(rd)
	defer ch.Reset(nil)
	var ids []tree.ID
	for {
		select {
		case <-r.pre.stop:
			return nil, errHalted
		default:
		}
		chunk, err := ch.Next()
		if errors.Is(err, io.EOF) {
			return ids, nil
		}
		if err != nil {
			return nil, &readError{fmt.Errorf("read: %w", err)}
		}
		id, err := r.saveData(ctx, path, chunk)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
}
