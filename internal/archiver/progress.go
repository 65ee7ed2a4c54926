package archiver

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/fsmeta"
	"github.com/arcabackup/arca/internal/repo"
)

// The phases of a backup, in order.
const (
	PhaseBackup   = "backup"   // walking, reading and saving
	PhaseFlush    = "flush"    // uploading the last packs and the index
	PhaseSnapshot = "snapshot" // saving the snapshot object
	PhaseDone     = "done"
)

// Progress is a point-in-time view of a running backup. FilesTotal and
// BytesTotal come from a pre-scan that runs beside the backup: they grow
// until TotalsFinal is set.
type Progress struct {
	Phase       string
	FilesDone   uint64 // files and other non-directory entries done
	FilesTotal  uint64
	BytesDone   uint64 // bytes of files done (read, or unchanged)
	BytesTotal  uint64
	TotalsFinal bool
	Dirs        uint64
	BytesRead   uint64
	BytesAdded  uint64
	Warnings    uint64
	Elapsed     time.Duration
}

// counters are the running totals, updated with atomic adds from every
// goroutine of the pipeline and read by the reporter.
type counters struct {
	phase      atomic.Value // string
	files      atomic.Uint64
	others     atomic.Uint64
	dirs       atomic.Uint64
	added      atomic.Uint64
	changed    atomic.Uint64
	unmodified atomic.Uint64
	filesDone  atomic.Uint64
	bytesDone  atomic.Uint64
	totalBytes atomic.Uint64
	bytesRead  atomic.Uint64
	bytesAdded atomic.Uint64
	dataBlobs  atomic.Uint64
	treeBlobs  atomic.Uint64
	warnings   atomic.Uint64

	scanFiles atomic.Uint64
	scanBytes atomic.Uint64
	scanDone  atomic.Bool
}

func (c *counters) setPhase(p string) { c.phase.Store(p) }

func (c *counters) snapshot(start time.Time) Progress {
	phase, _ := c.phase.Load().(string)
	p := Progress{
		Phase:       phase,
		FilesDone:   c.filesDone.Load(),
		BytesDone:   c.bytesDone.Load(),
		FilesTotal:  c.scanFiles.Load(),
		BytesTotal:  c.scanBytes.Load(),
		TotalsFinal: c.scanDone.Load(),
		Dirs:        c.dirs.Load(),
		BytesRead:   c.bytesRead.Load(),
		BytesAdded:  c.bytesAdded.Load(),
		Warnings:    c.warnings.Load(),
		Elapsed:     time.Since(start),
	}
	// The walk is the truth once it has gone past the scan.
	p.FilesTotal = max(p.FilesTotal, p.FilesDone)
	p.BytesTotal = max(p.BytesTotal, p.BytesDone)
	return p
}

func (c *counters) stats() repo.SnapshotStats {
	return repo.SnapshotStats{
		Files:           c.files.Load(),
		Dirs:            c.dirs.Load(),
		Others:          c.others.Load(),
		FilesNew:        c.added.Load(),
		FilesChanged:    c.changed.Load(),
		FilesUnmodified: c.unmodified.Load(),
		TotalBytes:      c.totalBytes.Load(),
		BytesRead:       c.bytesRead.Load(),
		DataBlobsAdded:  c.dataBlobs.Load(),
		TreeBlobsAdded:  c.treeBlobs.Load(),
		BytesAdded:      c.bytesAdded.Load(),
	}
}

// startReporting starts the pre-scan and the progress reporter; the
// returned function stops both, waits for them and makes the final
// progress call. The pre-scan runs for the totals, and to find the files
// to prefetch.
func (r *run) startReporting(ctx context.Context, roots []root) (stop func()) {
	r.progress.setPhase(PhaseBackup)
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if (!r.opts.NoScan && r.opts.Progress != nil) || r.pre != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.scan(ctx, roots)
		}()
	}
	if r.opts.Progress != nil {
		interval := r.opts.ProgressInterval
		if interval <= 0 {
			interval = 250 * time.Millisecond
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					r.opts.Progress(r.progress.snapshot(start))
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			if r.opts.Progress != nil {
				r.progress.setPhase(PhaseDone)
				p := r.progress.snapshot(start)
				p.FilesTotal, p.BytesTotal, p.TotalsFinal = p.FilesDone, p.BytesDone, true
				r.opts.Progress(p)
			}
		})
	}
}

// scanDir is a directory the scan has still to list.
type scanDir struct {
	path     string
	dev      uint64 // of its backup path, for OneFileSystem
	included bool
}

// scan counts the files and bytes the backup will see, for the totals, and
// queues the large files for the prefetcher. It goes breadth first, so
// that the large files of a tree are found early even where a deep
// directory of small files comes first in path order.
func (r *run) scan(ctx context.Context, roots []root) {
	if r.pre != nil {
		defer r.pre.finderDone()
	}
	var queue []scanDir
	for _, rt := range roots {
		var st unix.Stat_t
		if fsmeta.Lstatat(unix.AT_FDCWD, rt.path, rt.path, &st) == nil {
			queue = r.scanEntry(rt.path, &st, st.Dev, r.incl.Empty() || r.incl.Match(rt.path, fsmeta.IsDir(&st)), queue)
		}
	}
	buf := make([]byte, 32<<10)
	for len(queue) > 0 {
		if ctx.Err() != nil {
			return
		}
		d := queue[0]
		queue[0] = scanDir{}
		queue = queue[1:]
		dir, _ := fsmeta.OpenDir(d.path, buf)
		if dir == nil {
			continue
		}
		sts := make([]unix.Stat_t, len(dir.Names))
		ok := make([]bool, len(dir.Names))
		for i, name := range dir.Names {
			ok[i] = fsmeta.Lstatat(dir.FD, name, "", &sts[i]) == nil
		}
		dir.Close()
		for i, name := range dir.Names {
			if ok[i] {
				queue = r.scanEntry(childPath(d.path, name), &sts[i], d.dev, d.included, queue)
			}
		}
	}
	r.progress.scanDone.Store(true)
}

// scanEntry counts a file (and offers it to the prefetcher) or appends a
// directory to the queue, which it returns.
func (r *run) scanEntry(path string, st *unix.Stat_t, dev uint64, included bool, queue []scanDir) []scanDir {
	isDir := fsmeta.IsDir(st)
	if r.excl.Match(path, isDir) {
		return queue
	}
	included = included || r.incl.Match(path, isDir)
	if !isDir {
		if included {
			r.progress.scanFiles.Add(1)
			if st.Mode&unix.S_IFMT == unix.S_IFREG {
				r.progress.scanBytes.Add(uint64(st.Size))
			}
			if r.pre != nil {
				r.pre.add(path, st)
			}
		}
		return queue
	}
	if r.opts.OneFileSystem && st.Dev != dev {
		return queue // a mount point: saved empty
	}
	return append(queue, scanDir{path: path, dev: dev, included: included})
}
