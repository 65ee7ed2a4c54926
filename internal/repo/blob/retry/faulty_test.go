package retry_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// errTransient is an injected failure the decorator should retry.
var errTransient = errors.New("connection reset (injected)")

// fault is what a faulty store does on one call.
type fault struct {
	before    error  // returned without calling the inner store
	after     error  // returned after the inner call succeeded (the answer is lost)
	meanwhile func() // runs before the inner call (another writer, say)
	readErrAt int64  // Get: the reader fails after this many bytes (0: never)
	listErrAt int    // List: fails after this many callbacks (0: never)
}

type call struct {
	op, name       string
	offset, length int64
}

// faulty wraps a real store and injects the faults its plan returns for
// the n-th call (1-based) of each operation.
type faulty struct {
	blob.Store
	plan  func(op string, n int) fault
	mu    sync.Mutex
	calls []call
	count map[string]int
}

func newFaulty(s blob.Store, plan func(op string, n int) fault) *faulty {
	return &faulty{Store: s, plan: plan, count: map[string]int{}}
}

func (f *faulty) next(c call) fault {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.count[c.op]++
	n := f.count[c.op]
	f.mu.Unlock()
	fl := f.plan(c.op, n)
	if fl.meanwhile != nil {
		fl.meanwhile()
	}
	return fl
}

func (f *faulty) calledTimes(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[op]
}

func (f *faulty) callsOf(op string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var cs []call
	for _, c := range f.calls {
		if c.op == op {
			cs = append(cs, c)
		}
	}
	return cs
}

func (f *faulty) Put(ctx context.Context, name string, data []byte) error {
	fl := f.next(call{op: "put", name: name})
	if fl.before != nil {
		return fl.before
	}
	if err := f.Store.Put(ctx, name, data); err != nil {
		return err
	}
	return fl.after
}

func (f *faulty) Stat(ctx context.Context, name string) (blob.Info, error) {
	fl := f.next(call{op: "stat", name: name})
	if fl.before != nil {
		return blob.Info{}, fl.before
	}
	return f.Store.Stat(ctx, name)
}

func (f *faulty) Delete(ctx context.Context, name string) error {
	fl := f.next(call{op: "delete", name: name})
	if fl.before != nil {
		return fl.before
	}
	if err := f.Store.Delete(ctx, name); err != nil {
		return err
	}
	return fl.after
}

func (f *faulty) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	fl := f.next(call{op: "get", name: name, offset: offset, length: length})
	if fl.before != nil {
		return nil, fl.before
	}
	rc, err := f.Store.Get(ctx, name, offset, length)
	if err != nil || fl.readErrAt == 0 {
		return rc, err
	}
	return &failingReader{rc: rc, left: fl.readErrAt}, nil
}

func (f *faulty) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	fl := f.next(call{op: "list", name: prefix})
	if fl.before != nil {
		return fl.before
	}
	calls := 0
	return f.Store.List(ctx, prefix, func(fi blob.Info) error {
		if fl.listErrAt > 0 && calls == fl.listErrAt {
			return errTransient
		}
		calls++
		return fn(fi)
	})
}

// failingReader fails with errTransient after left bytes.
type failingReader struct {
	rc   io.ReadCloser
	left int64
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, errTransient
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	return n, err
}

func (r *failingReader) Close() error { return r.rc.Close() }

// waits records the backoff waits instead of sleeping.
type waits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) got() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}
