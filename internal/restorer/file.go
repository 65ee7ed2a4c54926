package restorer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
			err := r.restoreFile(ctx, job.dir, job.path, job.node)
			job.dir.release()
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *restore) restoreFile(ctx context.Context, d *dirHandle, p string, n *tree.Node) error {
	_, dirfd, err := d.get()
	if err != nil {
		r.fileFailed(p, err)
		return nil
	}
	// O_EXCL: never write through whatever is at p, a symlink included.
	var f *os.File
	created, err := r.create(p, n, func() error {
		fd, err := unix.Openat(dirfd, path.Base(p), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return &os.PathError{Op: "create", Path: p, Err: err}
		}
		f = os.NewFile(uintptr(fd), p)
		return nil
	})
	if err != nil {
		r.fileFailed(p, err)
		return nil
	}
	if !created { // kept by the overwrite policy
		r.prog.filesDone.Add(1)
		r.prog.bytesDone.Add(n.Size)
		return nil
	}
	err = r.writeContent(ctx, f, n)
	if err == nil {
		if merr := r.fileMeta(f, n); merr != nil {
			r.rep.fail(p, merr) // content is right; metadata is reported
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
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

func (r *restore) fileMeta(f *os.File, n *tree.Node) error {
	err := fsmeta.ApplyFile(f, n, r.apply, !r.opts.NoXattrs)
	return errors.Join(err, fsmeta.SetFileTimes(f, n))
}

// writeContent writes the file's blobs at their offsets, leaving holes for
// all-zero blobs, and sets the final size.
func (r *restore) writeContent(ctx context.Context, f *os.File, n *tree.Node) error {
	offsets, ok := r.offsets(n)
	var size int64
	var err error
	if ok && len(n.Content) >= 4 {
		size, err = r.writeParallel(ctx, f, n.Content, offsets)
	} else {
		size, err = r.writeSequential(ctx, f, n.Content)
	}
	if err != nil {
		return err
	}
	if uint64(size) != n.Size {
		return fmt.Errorf("content is %d bytes, the snapshot says %d: %w", size, n.Size, repo.ErrIntegrity)
	}
	if err := f.Truncate(size); err != nil { // the trailing hole, if any
		return err
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

func (r *restore) writeSequential(ctx context.Context, f *os.File, ids []tree.ID) (int64, error) {
	var off int64
	buf := r.getBuf()
	defer r.putBuf(buf)
	for i, id := range ids {
		data, err := r.repo.LoadBlob(ctx, repo.DataBlob, id, *buf)
		if err != nil {
			return off, fmt.Errorf("blob %d of %d (%v): %w", i+1, len(ids), repo.ID(id).Short(), err)
		}
		*buf = data
		if err := writeChunk(f, data, off); err != nil {
			return off, err
		}
		off += int64(len(data))
		r.prog.bytesDone.Add(uint64(len(data)))
	}
	return off, nil
}

// writeParallel loads a large file's blobs a few at a time and writes each
// at its offset.
func (r *restore) writeParallel(ctx context.Context, f *os.File, ids []tree.ID, offs []int64) (int64, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(chunkParallelism)
	for i, id := range ids {
		g.Go(func() error {
			buf := r.getBuf()
			defer r.putBuf(buf)
			data, err := r.repo.LoadBlob(gctx, repo.DataBlob, id, *buf)
			if err != nil {
				return fmt.Errorf("blob %d of %d (%v): %w", i+1, len(ids), repo.ID(id).Short(), err)
			}
			*buf = data
			if int64(len(data)) != offs[i+1]-offs[i] {
				return fmt.Errorf("blob %d of %d has %d bytes, the index says %d: %w", i+1, len(ids), len(data), offs[i+1]-offs[i], repo.ErrIntegrity)
			}
			r.prog.bytesDone.Add(uint64(len(data)))
			return writeChunk(f, data, offs[i])
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return offs[len(offs)-1], nil
}

// chunkParallelism is how many blobs of one large file load at once.
const chunkParallelism = 3

func writeChunk(f *os.File, data []byte, off int64) error {
	if allZero(data) {
		return nil // a hole: the final Truncate gives the size
	}
	_, err := f.WriteAt(data, off)
	return err
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

func (r *restore) getBuf() *[]byte {
	if b, ok := r.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1<<20)
	return &b
}

func (r *restore) putBuf(b *[]byte) { r.bufs.Put(b) }

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
