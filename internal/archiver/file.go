package archiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// fileJob is a file for a reader to read.
type fileJob struct {
	path string
	fut  *future
	old  bool // the path was in the parent snapshot (changed, not new)
}

// fileEntry makes the entry of a regular file: reused from the parent
// snapshot if unchanged, linked to an earlier hard link of the same inode,
// or queued for reading.
func (r *run) fileEntry(ctx context.Context, path string, n tree.Node, pn *tree.Node) (*entry, error) {
	r.progress.files.Add(1)
	r.progress.totalBytes.Add(n.Size)
	key := inodeKey{n.DeviceID, n.Inode}
	if n.Links > 1 {
		if first, ok := r.links[key]; ok {
			r.progress.filesDone.Add(1)
			r.progress.bytesDone.Add(n.Size)
			return &entry{fut: resolved(n), linkOf: first}, nil
		}
	}
	var fut *future
	if r.unchanged(pn, &n) {
		n.Content = pn.Content
		r.progress.unmodified.Add(1)
		r.progress.filesDone.Add(1)
		r.progress.bytesDone.Add(n.Size)
		fut = resolved(n)
	} else {
		fut = newFuture(n)
		job := &fileJob{path: path, fut: fut, old: pn != nil}
		if f := r.pre.take(path, &n); f != nil {
			r.attach(f, job)
		} else {
			select {
			case r.files <- job:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	if n.Links > 1 {
		r.links[key] = fut
	}
	return &entry{fut: fut}, nil
}

// unchanged reports whether the parent's node pn describes the same file
// content as n, with all its blobs still in the repository.
func (r *run) unchanged(pn, n *tree.Node) bool {
	if pn == nil || pn.Type != tree.TypeFile || pn.Size != n.Size || pn.Inode != n.Inode ||
		!pn.ModTime.Equal(n.ModTime) || !pn.ChangeTime.Equal(n.ChangeTime) {
		return false
	}
	for _, id := range pn.Content {
		if !r.repo.HasBlob(repo.DataBlob, id) {
			return false
		}
	}
	return true
}

// readFiles is a reader: it reads and chunks queued files until the queue
// is closed. It returns only fatal errors (the repository's or ctx's).
func (r *run) readFiles(ctx context.Context) error {
	for {
		select {
		case job, ok := <-r.files:
			if !ok {
				return nil
			}
			if err := r.readFile(ctx, job); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readFile reads and chunks one file and queues its chunks. It does not
// wait for the savers: whoever releases the file's last hold (this reader
// after its last chunk, or the saver of that chunk) finishes it, so the
// reader goes on to the next file at once.
func (r *run) readFile(ctx context.Context, job *fileJob) error {
	if r.testHookOpen != nil {
		r.testHookOpen(job.path)
	}
	f, _, err := openFile(job.path)
	if err != nil {
		r.dropFile(job, err)
		return nil
	}
	defer f.Close()
	pf := &pendingFile{}
	pf.pending.Store(1) // the reader's own hold, released after the last chunk
	cr := &countingReader{r: f, progress: &r.progress}
	st, readErr := r.readContent(ctx, f, cr, job, pf)
	if readErr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if readErr == nil && st == nil {
		st, _ = f.stat() // nil: changedWhileRead cannot tell, so warns
	}
	read := cr.n
	pf.finish = func(ids []tree.ID) { r.finishFile(job, ids, read, st, readErr) }
	pf.release()
	return nil
}

// finishFile completes the node of a file that was read (read bytes, its
// chunks' ids, its fstat after reading) or failed to be read (readErr; its
// saved chunks are orphans for prune), and resolves its future.
func (r *run) finishFile(job *fileJob, ids []tree.ID, read int64, after *syscall.Stat_t, readErr error) {
	if readErr != nil {
		r.dropFile(job, readErr)
		return
	}
	n := &job.fut.node
	if job.old {
		r.progress.changed.Add(1)
	} else {
		r.progress.added.Add(1)
	}
	// Record what was read: a file that grew or shrank meanwhile restores
	// as the bytes that were saved. Its node keeps the times seen before
	// reading, so the next backup reads it again.
	if changedWhileRead(after, n, read) {
		r.warn(job.path, errors.New("changed while it was read; the saved copy may mix old and new content"))
	}
	n.Size = uint64(read)
	n.Content = ids
	r.progress.filesDone.Add(1)
	close(job.fut.done)
}

// readContent queues the chunks of one file. A file no larger than the
// chunker's minimum chunk size is one chunk whatever its content, so it is
// read in one go, without a chunker and without copying; an fstat after
// the read (returned, for changedWhileRead) tells whether it grew meanwhile,
// which saves reading once more for the end of the file.
func (r *run) readContent(ctx context.Context, f *srcFile, rd io.Reader, job *fileJob, pf *pendingFile) (*syscall.Stat_t, error) {
	size := job.fut.node.Size
	if size > uint64(r.smallMax) {
		return nil, r.chunkFile(ctx, rd, job.path, pf)
	}
	weight := max(int64(size), 1)
	if err := r.inFlight.Acquire(ctx, weight); err != nil {
		return nil, err
	}
	buf := r.getBuf(int(size))
	n, err := io.ReadFull(rd, buf)
	var st *syscall.Stat_t
	switch {
	case err == nil:
		if st, err = f.stat(); err == nil && uint64(st.Size) > size { // it grew: chunk all of it
			err = r.chunkFile(ctx, io.MultiReader(bytes.NewReader(buf), rd), job.path, pf)
		} else if err == nil && size > 0 {
			return st, r.queueChunk(ctx, pf, job.path, 0, buf, weight)
		}
	case errors.Is(err, io.ErrUnexpectedEOF): // it shrank
		return nil, r.queueChunk(ctx, pf, job.path, 0, buf[:n], weight)
	case errors.Is(err, io.EOF): // it shrank to nothing
		err = nil
	default:
		err = fmt.Errorf("read: %w", err)
	}
	r.inFlight.Release(weight)
	r.putBuf(buf)
	return st, err
}

// chunkFile queues the content-defined chunks of one file for the savers.
func (r *run) chunkFile(ctx context.Context, rd io.Reader, path string, pf *pendingFile) error {
	ch, err := r.takeChunker(ctx)
	if err != nil {
		return err
	}
	defer r.putChunker(ch)
	ch.Reset(rd)
	for idx := 0; ; idx++ {
		chunk, err := ch.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if len(r.chunks) > 0 {
			// The savers have work queued: save this chunk here, from the
			// chunker's buffer, instead of copying it and waiting for room.
			if err := r.saveInline(ctx, pf, path, idx, chunk); err != nil {
				return err
			}
			continue
		}
		weight := min(int64(len(chunk)), r.maxChunk)
		if err := r.inFlight.Acquire(ctx, weight); err != nil {
			return err
		}
		buf := r.getBuf(len(chunk))
		copy(buf, chunk)
		if err := r.queueChunk(ctx, pf, path, idx, buf, weight); err != nil {
			return err
		}
	}
}

// saveInline saves one chunk in the reader's goroutine. data is the
// chunker's buffer, left untouched until SaveBlob returns.
func (r *run) saveInline(ctx context.Context, pf *pendingFile, path string, idx int, data []byte) error {
	pf.add()
	id, err := r.saveData(ctx, path, data)
	if err != nil {
		return err
	}
	pf.set(idx, id)
	return nil
}

// saveData saves one chunk of a file and counts it.
func (r *run) saveData(ctx context.Context, path string, data []byte) (repo.ID, error) {
	id, added, err := r.repo.SaveBlob(ctx, repo.DataBlob, data)
	if err != nil {
		return id, fmt.Errorf("save chunk of %s: %w", path, err)
	}
	if added {
		r.progress.dataBlobs.Add(1)
		r.progress.bytesAdded.Add(uint64(len(data)))
	}
	return id, nil
}

// queueChunk hands one chunk, which holds weight bytes of the in-flight
// budget, to the savers.
func (r *run) queueChunk(ctx context.Context, pf *pendingFile, path string, idx int, data []byte, weight int64) error {
	pf.add()
	job := &chunkJob{file: pf, idx: idx, data: data, weight: weight, path: path}
	select {
	case r.chunks <- job:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dropFile resolves the future of a file that could not be read: a
// warning, and no node.
func (r *run) dropFile(job *fileJob, err error) {
	r.warn(job.path, err)
	r.progress.filesDone.Add(1)
	job.fut.skip = true
	close(job.fut.done)
}

// pendingFile collects the ids of one file's chunks as savers finish them.
// It holds one count per queued chunk plus the reader's own; finish runs
// once, in the goroutine that releases the last one.
type pendingFile struct {
	mu      sync.Mutex
	ids     []tree.ID
	pending atomic.Int64
	finish  func(ids []tree.ID) // set by the reader before it releases its hold
}

func (p *pendingFile) add() {
	p.pending.Add(1)
	p.mu.Lock()
	p.ids = append(p.ids, tree.ID{})
	p.mu.Unlock()
}

func (p *pendingFile) set(idx int, id repo.ID) {
	p.mu.Lock()
	p.ids[idx] = id
	p.mu.Unlock()
	p.release()
}

func (p *pendingFile) release() {
	if p.pending.Add(-1) == 0 {
		p.finish(p.ids)
	}
}

// chunkJob is one chunk for a saver.
type chunkJob struct {
	file   *pendingFile
	idx    int
	data   []byte
	weight int64
	path   string
}

// saveChunks is a saver: it saves queued chunks until the queue is closed.
func (r *run) saveChunks(ctx context.Context) error {
	for c := range r.chunks {
		id, err := r.saveData(ctx, c.path, c.data)
		r.inFlight.Release(c.weight)
		if err != nil {
			return err
		}
		r.putBuf(c.data)
		c.file.set(c.idx, id)
	}
	return nil
}

type countingReader struct {
	r        io.Reader
	n        int64
	progress *counters
	notDone  bool // count bytes read, not done (a prefetch: done when the walker takes it)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.progress.bytesRead.Add(uint64(n))
	if !c.notDone {
		c.progress.bytesDone.Add(uint64(n))
	}
	return n, err
}

// changedWhileRead reports whether the file read (read bytes) now differs
// in size or times from what was seen before reading it. st is its fstat
// after reading; nil (no fstat) counts as changed.
func changedWhileRead(st *syscall.Stat_t, n *tree.Node, read int64) bool {
	return uint64(read) != n.Size || st == nil || !sameSizeAndTimes(st, n)
}

// sameSizeAndTimes reports whether st has n's size, mtime and ctime.
func sameSizeAndTimes(st *syscall.Stat_t, n *tree.Node) bool {
	return uint64(st.Size) == n.Size &&
		st.Mtim.Sec == n.ModTime.Unix() && st.Mtim.Nsec == int64(n.ModTime.Nanosecond()) &&
		st.Ctim.Sec == n.ChangeTime.Unix() && st.Ctim.Nsec == int64(n.ChangeTime.Nanosecond())
}
