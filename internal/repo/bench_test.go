package repo_test

import (
	"context"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

// benchSave saves distinct 1 MiB blobs from b.N goroutine-parallel calls
// through the whole blob path (hash, dedup lookup, compress-or-skip,
// encrypt, pack, upload to the in-memory store), flushing at the end.
func benchSave(b *testing.B, gen func(seed uint64, n int) []byte) {
	ctx := context.Background()
	// Packs go nowhere, so the figure is the blob path's own cost, not the
	// in-memory store's copy of every pack.
	r, err := repo.Init(ctx, discardPacks{mem.New()}, "pw", repo.InitOptions{KDF: repotest.FastKDF})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	const size = 1 << 20
	bufs := make([][]byte, 64)
	for i := range bufs {
		bufs[i] = gen(uint64(i), size)
	}
	var ctr atomic.Uint64
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := ctr.Add(1)
			buf := bufs[i%64]
			// Make every blob distinct without regenerating it.
			buf[0], buf[1], buf[2], buf[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
			if _, _, err := r.SaveBlob(ctx, repo.DataBlob, buf); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := r.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	// CPU time makes the figure meaningful on a shared, loaded machine.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*size/1e6/cpu.Seconds(), "MB/cpu-s")
	}
	st := r.Stats()
	b.ReportMetric(float64(st.BytesStored)/float64(st.BytesAdded), "stored/raw")
}

func BenchmarkSaveBlobRandom(b *testing.B) { benchSave(b, randBytes) }

func BenchmarkSaveBlobText(b *testing.B) { benchSave(b, textBytes) }

func BenchmarkLoadBlob(b *testing.B) {
	ctx := context.Background()
	r, err := repo.Init(ctx, mem.New(), "pw", repo.InitOptions{KDF: repotest.FastKDF})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var ids []repo.ID
	for i := 0; i < 32; i++ {
		id, _, _ := r.SaveBlob(ctx, repo.DataBlob, textBytes(uint64(i), 1<<20))
		ids = append(ids, id)
	}
	if err := r.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	var ctr atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var buf []byte
		for pb.Next() {
			var err error
			buf, err = r.LoadBlob(ctx, repo.DataBlob, ids[ctr.Add(1)%32], buf)
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardPacks is a store that drops pack files (names under "data/") and
// keeps everything else.
type discardPacks struct{ *mem.Store }

func (d discardPacks) Put(ctx context.Context, name string, data []byte) error {
	if strings.HasPrefix(name, "data/") {
		return nil
	}
	return d.Store.Put(ctx, name, data)
}
