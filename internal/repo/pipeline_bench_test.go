package repo_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

// BenchmarkBackupPipeline is the repository's share of a first backup:
// GOMAXPROCS workers each chunk a stream (format-default chunker sizes) and
// save every chunk, into a local store with fsync, then flush. Half the
// streams are random (compression probed and skipped), half log-like text.
func BenchmarkBackupPipeline(b *testing.B) {
	ctx := context.Background()
	store, err := local.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	r, err := repo.Init(ctx, store, "pw", repo.InitOptions{KDF: repotest.FastKDF})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	const per = 32 << 20
	workers := runtime.GOMAXPROCS(0)
	streams := make([][]byte, 2*workers)
	for i := range streams {
		if i%2 == 0 {
			streams[i] = randBytes(uint64(i), per)
		} else {
			streams[i] = textBytes(uint64(i), per)
		}
	}
	b.SetBytes(int64(per * len(streams)))
	cpu0 := cpuTime()
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		// Touch every 64 KiB so every chunk is new in every round.
		b.StopTimer()
		for _, s := range streams {
			for i := 0; i < len(s); i += 64 << 10 {
				s[i]++
			}
		}
		b.StartTimer()
		g, gctx := errgroup.WithContext(ctx)
		for w := 0; w < workers; w++ {
			g.Go(func() error {
				c := r.NewChunker(nil)
				for i := w; i < len(streams); i += workers {
					s := streams[i]
					c.Reset(bytes.NewReader(s))
					for {
						chunk, err := c.Next()
						if errors.Is(err, io.EOF) {
							break
						}
						if err != nil {
							return err
						}
						if _, _, err := r.SaveBlob(gctx, repo.DataBlob, chunk); err != nil {
							return err
						}
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		if err := r.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*float64(per*len(streams))/1e6/cpu.Seconds(), "MB/cpu-s")
	}
	st := r.Stats()
	b.ReportMetric(float64(st.BytesStored)/float64(st.BytesAdded), "stored/raw")
}
