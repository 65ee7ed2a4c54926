package blobtest

import (
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// Bench measures Put and Get throughput of 4 MiB and 16 MiB objects, one
// operation at a time and with Connections() operations in parallel
// (b.SetBytes makes `go test -bench` report MB/s). newStore must return an
// empty store.
func Bench(b *testing.B, newStore func(b *testing.B) blob.Store) {
	for _, size := range []int{4 << 20, 16 << 20} {
		data := randomData(uint64(size), size)
		label := fmt.Sprintf("%dMiB", size>>20)
		b.Run("Put/"+label, func(b *testing.B) { benchPut(b, newStore(b), data, false) })
		b.Run("Get/"+label, func(b *testing.B) { benchGet(b, newStore(b), data, false) })
		b.Run("PutParallel/"+label, func(b *testing.B) { benchPut(b, newStore(b), data, true) })
		b.Run("GetParallel/"+label, func(b *testing.B) { benchGet(b, newStore(b), data, true) })
	}
}

func benchPut(b *testing.B, s blob.Store, data []byte, parallel bool) {
	var seq atomic.Int64
	put := func() {
		name := fmt.Sprintf("data/%02x/bench-%d", seq.Load()%256, seq.Add(1))
		if err := s.Put(b.Context(), name, data); err != nil {
			b.Fatalf("Put: %v", err)
		}
	}
	b.SetBytes(int64(len(data)))
	if !parallel {
		for b.Loop() {
			put()
		}
		return
	}
	setParallelism(b, s)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			put()
		}
	})
}

func benchGet(b *testing.B, s blob.Store, data []byte, parallel bool) {
	if err := s.Put(b.Context(), "data/be/bench", data); err != nil {
		b.Fatalf("Put: %v", err)
	}
	get := func() {
		rc, err := s.Get(b.Context(), "data/be/bench", 0, -1)
		if err != nil {
			b.Fatalf("Get: %v", err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != int64(len(data)) {
			b.Fatalf("Get read %d bytes, %v; want %d", n, err, len(data))
		}
	}
	b.SetBytes(int64(len(data)))
	if !parallel {
		for b.Loop() {
			get()
		}
		return
	}
	setParallelism(b, s)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get()
		}
	})
}

// setParallelism makes RunParallel use about Connections() goroutines.
func setParallelism(b *testing.B, s blob.Store) {
	b.SetParallelism(max(1, s.Connections()/runtime.GOMAXPROCS(0)))
}
