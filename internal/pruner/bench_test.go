package pruner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/repo/policy"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

// benchState builds, on a local store, 10 snapshots of 1,000 files of 64
// KiB (16 KiB blobs, a tenth of the files new in each snapshot), forgets
// all but the last 3, and lets the packs age past the delay.
func benchState(b *testing.B) (*clock, *repo.Repository) {
	b.Helper()
	ctx := context.Background()
	c := newClock()
	dir, err := local.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	s := newTestStoreOn(c, dir)
	r, err := repo.Init(ctx, s, repotest.Password, repo.InitOptions{
		KDF: repotest.FastKDF, Compression: repo.CompressionOff, Open: repo.OpenOptions{PackSize: 4 << 20}, Now: c.Now,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	rnd := rand.New(rand.NewPCG(1, 1))
	seeds := make([]uint64, 1000)
	for i := range seeds {
		seeds[i] = rnd.Uint64()
	}
	for snap := range 10 {
		files := map[string][]byte{}
		for i := range seeds {
			if snap > 0 && rnd.IntN(10) == 0 {
				seeds[i] = rnd.Uint64()
			}
			files[fmt.Sprintf("d%02d/f%03d", i/50, i%50)] = content(seeds[i], 64<<10)
		}
		if _, err := backupChunked(ctx, r, c.Now(), files, 16<<10); err != nil {
			b.Fatal(err)
		}
		c.Advance(time.Hour)
	}
	if _, err := pruner.Forget(ctx, r, pruner.ForgetOptions{Policy: &policy.Policy{Last: 3}}); err != nil {
		b.Fatal(err)
	}
	c.Advance(2 * delay)
	return c, r
}

// BenchmarkPrune times the plan (a dry run), the mark phase (repack, hide,
// marker) and the sweep (delete) on the generated repository.
func BenchmarkPrune(b *testing.B) {
	ctx := context.Background()
	var plan, mark, sweep *pruner.Report
	var tPlan, tMark, tSweep time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, r := benchState(b)
		opts := pruneOpts(c)
		b.StartTimer()
		t0 := time.Now()
		var err error
		dry := opts
		dry.DryRun = true
		if plan, err = pruner.Prune(ctx, r, dry); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if mark, err = pruner.Prune(ctx, r, opts); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		c.Advance(2 * delay)
		if sweep, err = pruner.Prune(ctx, r, opts); err != nil {
			b.Fatal(err)
		}
		tPlan, tMark, tSweep = tPlan+t1.Sub(t0), tMark+t2.Sub(t1), tSweep+time.Since(t2)
	}
	n := float64(b.N)
	b.ReportMetric(tPlan.Seconds()/n, "plan-s")
	b.ReportMetric(tMark.Seconds()/n, "mark-s")
	b.ReportMetric(tSweep.Seconds()/n, "sweep-s")
	b.ReportMetric(float64(plan.LiveBlobs), "live-blobs")
	b.ReportMetric(float64(mark.PacksMarked+mark.PacksRepacked), "packs-marked")
	b.ReportMetric(float64(mark.BytesRepacked)/(1<<20), "MiB-repacked")
	b.ReportMetric(float64(sweep.BytesFreed)/(1<<20), "MiB-freed")
}
