package local

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
)

// syncParallel bounds the background fsyncs in flight, and maxBacklog the
// files written but not yet synced: past it, PutDeferred waits for the
// oldest fsync (a disk slower to sync than to write slows the writer
// instead of piling up goroutines and unsynced data).
const (
	syncParallel = 8
	maxBacklog   = 64
)

// deferred runs the fsyncs of the files PutDeferred wrote in the
// background, off the writer's path: the writer (an upload holding a pack
// buffer) returns as soon as the data is written, and Sync only waits for
// what is still in flight. On the build VM (ext4 on virtio) an fsync took
// ~4 ms, a file's and its directory's ~8 ms per pack, during which the
// upload held its slot and buffer.
type deferred struct {
	mu  sync.Mutex
	ops []*syncOp // started, oldest first; finished ones are dropped by wait
	err error     // sticky: an fsync failed, so data may have been lost
	sem chan struct{}
}

type syncOp struct {
	done chan struct{}
	err  error // set before done is closed
}

func newDeferred() deferred { return deferred{sem: make(chan struct{}, syncParallel)} }

// start fsyncs path and then its directory in the background, through a.
func (d *deferred) start(a *aio, path string) {
	op := &syncOp{done: make(chan struct{})}
	d.mu.Lock()
	if len(d.ops) >= 2*maxBacklog {
		d.dropFinished()
	}
	var oldest *syncOp
	if len(d.ops) >= maxBacklog {
		oldest = d.ops[len(d.ops)-maxBacklog]
	}
	d.ops = append(d.ops, op)
	d.mu.Unlock()
	if oldest != nil {
		<-oldest.done
	}
	go func() {
		d.sem <- struct{}{}
		op.err = syncPath(a, path)
		if op.err == nil {
			op.err = syncPath(a, filepath.Dir(path))
		}
		<-d.sem
		close(op.done)
	}()
}

// wait waits for the fsyncs started before it was called and returns the
// first error any fsync ever had.
func (d *deferred) wait(ctx context.Context) error {
	d.mu.Lock()
	ops, err := slices.Clone(d.ops), d.err // start may compact d.ops meanwhile
	d.mu.Unlock()
	if err != nil {
		return err
	}
	for _, op := range ops {
		select {
		case <-op.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dropFinished()
	return d.err
}

// dropFinished forgets finished fsyncs, keeping the first error. The
// caller holds d.mu.
func (d *deferred) dropFinished() {
	n := 0
	for _, op := range d.ops {
		select {
		case <-op.done:
			if op.err != nil && d.err == nil {
				d.err = fmt.Errorf("sync: %w", op.err)
			}
		default:
			d.ops[n] = op
			n++
		}
	}
	clear(d.ops[n:])
	d.ops = d.ops[:n]
}

// PutDeferred implements blob.Deferrer: Put whose fsyncs (the file's, then
// its directory's) run in the background; Sync waits for them.
func (s *Store) PutDeferred(ctx context.Context, name string, data []byte) error {
	return s.put(ctx, name, data, false)
}

// Sync implements blob.Deferrer: it waits for the fsyncs of every file
// PutDeferred wrote before the call. A cancelled context stops the wait
// (the fsyncs go on); a failed fsync fails this and every later Sync,
// since the kernel may have dropped the data it could not write and a
// later fsync would not say so.
func (s *Store) Sync(ctx context.Context) error { return s.deferred.wait(ctx) }
