package restorer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/fsmeta"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// work is a file worker: it writes queued files until the queue closes.
// Only a cancelled context ends it early.
func (r *restore) work(ctx context.Context) error {
	for {
		select {
		case job, ok := <-r.jobs:
			if !ok {
				return nil
			}
			err := r.writeFile(ctx, job)
			job.dir.release()
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// createFile creates the file p in the directory d and returns its
// descriptor, or ok=false when there is nothing to write (a failure,
// reported, or an existing file kept by the overwrite policy). Called by
// the creators (see createBatches).
func (r *restore) createFile(d *dirHandle, p string, n *tree.Node) (fd int, ok bool) {
	_, dirfd, err := d.get()
	if err != nil {
		r.fileFailed(p, err)
		return -1, false
	}
	// O_EXCL: never write through whatever is at p, a symlink included. The
	// file is written through its bare descriptor: an *os.File costs an
	// fcntl more, and nothing here needs the runtime poller.
	fd = -1
	created, err := r.create(p, n, func() error {
		var err error
		fd, err = openat(dirfd, path.Base(p), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return &os.PathError{Op: "create", Path: p, Err: err}
		}
		return nil
	})
	if err != nil {
		r.fileFailed(p, err)
		return -1, false
	}
	if !created { // kept by the overwrite policy
		r.prog.filesDone.Add(1)
		r.prog.bytesDone.Add(n.Size)
		return -1, false
	}
	return fd, true
}

// abandon closes and removes a created file that will not be written (the
// restore was cancelled), and releases its directory.
func (r *restore) abandon(job fileJob) {
	unix.Close(job.fd)
	r.root.Remove(job.path)
	job.dir.release()
}

// writeFile writes the content and metadata of a created file and closes
// it. Only a cancelled context is returned.
func (r *restore) writeFile(ctx context.Context, job fileJob) error {
	p, n := job.path, job.node
	out := &outFile{fd: job.fd, path: p}
	err := r.writeContent(ctx, out, n)
	if err == nil {
		if merr := r.fileMeta(job.dir, job.fd, n); merr != nil {
			r.rep.fail(p, merr) // content is right; metadata is reported
		}
	}
	if cerr := unix.Close(job.fd); err == nil && cerr != nil {
		err = &os.PathError{Op: "close", Path: p, Err: cerr}
	}
	if err != nil {
		r.root.Remove(p) // never leave a file with wrong or missing bytes
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.fileFailed(p, err)
		return nil
	}
	r.prog.filesDone.Add(1)
	r.rep.add(func(res *Result) { res.Files++; res.Bytes += n.Size })
	return nil
}

func (r *restore) fileFailed(p string, err error) {
	r.failedMu.Lock()
	r.failed[p] = true
	r.failedMu.Unlock()
	r.prog.filesDone.Add(1)
	r.rep.fail(p, err)
}

// fileMeta sets a new file's metadata. The chown is skipped when it would
// change nothing: the file was created in a directory of this restore,
// so it belongs to our user and to the group the directory gives.
func (r *restore) fileMeta(d *dirHandle, fd int, n *tree.Node) error {
	opts := r.apply
	if opts.Owner && d.ours && n.UID == r.euid && n.GID == d.newGID {
		opts.Owner = false
	}
	err := fsmeta.ApplyFd(fd, n, opts, !r.opts.NoXattrs)
	return errors.Join(err, fsmeta.SetFdTimes(fd, n))
}

// outFile is a file being restored, written with pwrite at offsets.
type outFile struct {
	fd   int
	path string
}

func (f *outFile) writeAt(b []byte, off int64) error {
	for len(b) > 0 {
		n, err := unix.Pwrite(f.fd, b, off)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return &os.PathError{Op: "write", Path: f.path, Err: err}
		case n == 0:
			return &os.PathError{Op: "write", Path: f.path, Err: io.ErrShortWrite}
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

func (f *outFile) truncate(size int64) error {
	for {
		err := unix.Ftruncate(f.fd, size)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return &os.PathError{Op: "truncate", Path: f.path, Err: err}
		}
		return nil
	}
}

// writeContent writes the file's blobs at their offsets, leaving holes for
// all-zero blobs, and sets the final size when it ends in a hole.
func (r *restore) writeContent(ctx context.Context, f *outFile, n *tree.Node) error {
	offsets, ok := r.offsets(n)
	var size int64
	var tailHole bool
	var err error
	if ok && len(n.Content) >= 4 {
		size, tailHole, err = r.writeParallel(ctx, f, n.Content, offsets)
	} else {
		size, tailHole, err = r.writeSequential(ctx, f, n.Content)
	}
	if err != nil {
		return err
	}
	if uint64(size) != n.Size {
		return fmt.Errorf("content is %d bytes, the snapshot says %d: %w", size, n.Size, repo.ErrIntegrity)
	}
	if tailHole { // the file is new: it is as long as its last write
		return f.truncate(size)
	}
	return nil
}

// offsets returns the start of every blob and the end, from the index.
func (r *restore) offsets(n *tree.Node) ([]int64, bool) {
	if len(n.Content) < 4 {
		return nil, false
	}
	offs := make([]int64, len(n.Content)+1)
	for i, id := range n.Content {
		pb, ok := r.repo.LookupBlob(repo.DataBlob, id)
		if !ok {
			return nil, false
		}
		offs[i+1] = offs[i] + int64(pb.RawLength)
	}
	return offs, true
}

func (r *restore) writeSequential(ctx context.Context, f *outFile, ids []tree.ID) (size int64, tailHole bool, err error) {
	var off, written int64 // written: the end of the last write
	buf := r.bufs.get()
	defer r.bufs.put(buf)
	for i, id := range ids {
		data, err := r.repo.LoadBlob(ctx, repo.DataBlob, id, *buf)
		if err != nil {
			return off, false, fmt.Errorf("blob %d of %d (%v): %w", i+1, len(ids), repo.ID(id).Short(), err)
		}
		*buf = data
		hole, err := writeChunk(f, data, off)
		if err != nil {
			return off, false, err
		}
		off += int64(len(data))
		if !hole {
			written = off
		}
		r.prog.bytesDone.Add(uint64(len(data)))
	}
	return off, written < off, nil
}

// writeParallel loads a large file's blobs a few at a time and writes each
// at its offset.
func (r *restore) writeParallel(ctx context.Context, f *outFile, ids []tree.ID, offs []int64) (size int64, tailHole bool, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(chunkParallelism)
	holes := make([]bool, len(ids))
	for i, id := range ids {
		g.Go(func() error {
			buf := r.bufs.get()
			defer r.bufs.put(buf)
			data, err := r.repo.LoadBlob(gctx, repo.DataBlob, id, *buf)
			if err != nil {
				return fmt.Errorf("blob %d of %d (%v): %w", i+1, len(ids), repo.ID(id).Short(), err)
			}
			*buf = data
			if int64(len(data)) != offs[i+1]-offs[i] {
				return fmt.Errorf("blob %d of %d has %d bytes, the index says %d: %w", i+1, len(ids), len(data), offs[i+1]-offs[i], repo.ErrIntegrity)
			}
			r.prog.bytesDone.Add(uint64(len(data)))
			holes[i], err = writeChunk(f, data, offs[i])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, false, err
	}
	for i := len(ids) - 1; i >= 0; i-- { // the last blob with bytes
		if offs[i+1] > offs[i] {
			return offs[len(offs)-1], holes[i], nil
		}
	}
	return 0, false, nil
}

// chunkParallelism is how many blobs of one large file load at once.
const chunkParallelism = 3

// writeChunk writes data at off, or leaves a hole (hole=true) where data
// is all zeros.
func writeChunk(f *outFile, data []byte, off int64) (hole bool, err error) {
	if allZero(data) {
		return true, nil
	}
	return false, f.writeAt(data, off)
}

func allZero(b []byte) bool {
	var zeros [4096]byte
	for len(b) > 0 {
		n := min(len(b), len(zeros))
		if !bytes.Equal(b[:n], zeros[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

// special creates a symlink, device, FIFO or socket node in the
// directory d.
func (r *restore) special(d *dirHandle, p string, n *tree.Node) {
	dir, _, err := d.get()
	if err != nil {
		r.rep.fail(p, err)
		return
	}
	name := path.Base(p)
	created, err := r.create(p, n, func() error {
		if n.Type == tree.TypeSymlink {
			return unix.Symlinkat(n.LinkTarget, int(dir.Fd()), name)
		}
		return fsmeta.Mknod(dir, name, n)
	})
	if err != nil {
		r.rep.fail(p, err)
		return
	}
	if !created {
		return
	}
	if err := fsmeta.Apply(dir, name, n, r.apply); err != nil {
		r.rep.fail(p, fmt.Errorf("metadata: %w", err))
	}
	r.rep.add(func(res *Result) { res.Others++ })
}
