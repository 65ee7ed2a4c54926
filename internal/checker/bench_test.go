package checker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/checker"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/repotest"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// benchRepo generates a repository on a local store: snapshots of dirs×files
// files of fileSize random bytes in 16 KiB blobs, each snapshot changing a
// tenth of the files.
func benchRepo(b *testing.B, store blob.Store, snapshots, dirs, files, fileSize int) *repo.Repository {
	b.Helper()
	ctx := context.Background()
	r, err := repo.Init(ctx, store, repotest.Password, repo.InitOptions{
		KDF: repotest.FastKDF, Compression: repo.CompressionOff, Open: repo.OpenOptions{PackSize: 4 << 20},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	rnd := rand.New(rand.NewPCG(1, 1))
	data := make([]byte, fileSize)
	seeds := make([]uint64, dirs*files)
	for i := range seeds {
		seeds[i] = rnd.Uint64()
	}
	for s := range snapshots {
		for i := range seeds {
			if s > 0 && rnd.IntN(10) == 0 {
				seeds[i] = rnd.Uint64()
			}
		}
		var root tree.Tree
		for d := range dirs {
			var dt tree.Tree
			for f := range files {
				fr := rand.New(rand.NewPCG(seeds[d*files+f], 0))
				for i := range data {
					data[i] = byte(fr.Uint32())
				}
				n := tree.Node{Name: fmt.Sprintf("f%04d", f), Type: tree.TypeFile, Mode: 0o644, Size: uint64(fileSize)}
				for off := 0; off < len(data); off += 16 << 10 {
					id, _, err := r.SaveBlob(ctx, repo.DataBlob, data[off:min(off+16<<10, len(data))])
					if err != nil {
						b.Fatal(err)
					}
					n.Content = append(n.Content, id)
				}
				dt.Nodes = append(dt.Nodes, n)
			}
			id := saveTree(b, r, &dt)
			root.Nodes = append(root.Nodes, tree.Node{Name: fmt.Sprintf("d%03d", d), Type: tree.TypeDir, Mode: 0o755, Subtree: (*tree.ID)(&id)})
		}
		rootID := saveTree(b, r, &root)
		if err := r.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := r.SaveSnapshot(ctx, &repo.Snapshot{Time: time.Unix(int64(1e9+s*3600), 0), Hostname: "h", Tree: rootID}); err != nil {
			b.Fatal(err)
		}
	}
	return r
}

func saveTree(b *testing.B, r *repo.Repository, t *tree.Tree) repo.ID {
	t.Sort()
	enc, err := tree.Encode(t)
	if err != nil {
		b.Fatal(err)
	}
	id, _, err := r.SaveBlob(context.Background(), repo.TreeBlob, enc)
	if err != nil {
		b.Fatal(err)
	}
	return id
}

// 10 snapshots of 1,000 files of 64 KiB, a tenth changing each time
// (about 120 MiB stored, 7,400 blobs), on the in-memory store (the cost of
// the check itself) and on a local directory (what the disk adds).
func BenchmarkCheck(b *testing.B) {
	dir, err := local.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	stores := []struct {
		name  string
		store blob.Store
	}{{"mem", mem.New()}, {"local", dir}}
	for _, st := range stores {
		r := benchRepo(b, st.store, 10, 20, 50, 64<<10)
		benchModes(b, st.name, r)
	}
}

func benchModes(b *testing.B, store string, r *repo.Repository) {
	for _, mode := range []struct {
		name string
		opts checker.Options
	}{
		{"structure", checker.Options{}},
		{"read-data", checker.Options{ReadData: true}},
	} {
		b.Run(store+"/"+mode.name, func(b *testing.B) {
			var rep *checker.Report
			cpu0 := cpuTime()
			for b.Loop() {
				var err error
				if rep, err = checker.Check(context.Background(), r, mode.opts); err != nil {
					b.Fatal(err)
				}
			}
			if !rep.OK() {
				b.Fatalf("generated repository does not check clean:\n%s", rep)
			}
			// CPU seconds per check: on a shared machine this, not the
			// wall time, says what the check costs.
			cpu := (cpuTime() - cpu0).Seconds() / float64(b.N)
			b.ReportMetric(cpu, "cpu-s/op")
			if rep.BytesRead > 0 {
				b.SetBytes(rep.BytesRead)
				b.ReportMetric(float64(rep.BytesRead)/(1<<20)/cpu, "MiB/cpu-s")
			}
			b.ReportMetric(float64(rep.DataBlobs), "blobs")
			b.ReportMetric(float64(rep.Packs), "packs")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
