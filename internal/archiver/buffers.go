package archiver

import (
	"context"
	"math/bits"
	"sync"

	"github.com/arcabackup/arca/internal/repo"
)

// Chunk buffers come from pools by power-of-two size class, from 64 KiB
// (class 0) up; a buffer's capacity is its class size.
const (
	minBufClass = 16
	bufClasses  = 12 // up to 128 MiB
)

type bufPools [bufClasses]sync.Pool

func bufClass(n int) int {
	if n <= 1<<minBufClass {
		return 0
	}
	return min(bits.Len(uint(n-1))-minBufClass, bufClasses-1)
}

func (r *run) getBuf(n int) []byte {
	c := bufClass(n)
	if b, ok := r.bufs[c].Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]byte, n, max(n, 1<<(c+minBufClass)))
}

func (r *run) putBuf(b []byte) {
	c := bufClass(cap(b))
	if cap(b) != 1<<(c+minBufClass) {
		return // an odd size (beyond the largest class): let it go
	}
	r.bufs[c].Put(&b)
}

// takeChunker returns a chunker from the pool, making one if fewer than
// cap(r.chunkers) exist, or else waiting for one: each holds a buffer of
// twice the largest chunk, so their number bounds memory.
func (r *run) takeChunker(ctx context.Context) (repo.Chunker, error) {
	select {
	case ch := <-r.chunkers:
		return ch, nil
	default:
	}
	if r.chunkersMade.Add(1) <= int64(cap(r.chunkers)) {
		return r.repo.NewChunker(nil), nil
	}
	select {
	case ch := <-r.chunkers:
		return ch, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *run) putChunker(ch repo.Chunker) {
	ch.Reset(nil) // drop the file
	r.chunkers <- ch
}

// configurer is implemented by repositories that tell their chunker sizes
// (*repo.Repository does).
type configurer interface {
	Config() repo.Config
}
