package repo_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

// benchSave saves distinct 1 MiB blobs from b.N goroutine-parallel calls
// through the whole blob path (hash, dedup lookup, compress-or-skip,
// encrypt, pack, upload to the in-memory store), flushing at the end.
func benchSave(b *testing.B, gen func(seed uint64, n int) []byte) {
	ctx := context.Background()
	r, err := repo.Init(ctx, mem.New(), "pw", repo.InitOptions{KDF: repotest.FastKDF})
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
