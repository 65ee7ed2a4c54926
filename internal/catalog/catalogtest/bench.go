package catalogtest

import (
	"strconv"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// Benchmark measures the hot paths of the task engine on stores from open:
// creating a task, reading one, and claiming queued tasks; and those of the
// snapshot cache (benchSnapshots).
func Benchmark(b *testing.B, open func(b *testing.B) catalog.Store) {
	b.Run("CreateTask", func(b *testing.B) {
		s := open(b)
		now := time.Now()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			c := catalog.CreateTask{Task: arca.Task{Operation: "backup", CreatedAt: now.Add(time.Duration(i) * time.Microsecond),
				Params: []byte(`{"source":"s1","paths":["/data"]}`)}}
			if _, _, err := s.CreateTask(b.Context(), c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetTask", func(b *testing.B) {
		s := open(b)
		ids := benchTasks(b, s, 1000)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := s.GetTask(b.Context(), ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetTaskParallel", func(b *testing.B) {
		s := open(b)
		ids := benchTasks(b, s, 1000)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if _, err := s.GetTask(b.Context(), ids[i%len(ids)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	for _, batch := range []int{1, 10} {
		b.Run("ClaimTasks/batch="+strconv.Itoa(batch), func(b *testing.B) {
			benchClaim(b, open(b), batch)
		})
	}
	benchSnapshots(b, open)
}

// benchClaim claims b.N batches of batch tasks from a queue made beforehand.
func benchClaim(b *testing.B, s catalog.Store, batch int) {
	benchTasks(b, s, b.N*batch)
	now := time.Now()
	ops := []arca.Operation{"backup", "verify"}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got, err := s.ClaimTasks(b.Context(), "w1", ops, batch, now, now.Add(time.Minute))
		if err != nil || len(got) != batch {
			b.Fatalf("ClaimTasks = %d tasks, %v", len(got), err)
		}
	}
}

// benchTasks creates n queued tasks and returns their ids.
func benchTasks(b *testing.B, s catalog.Store, n int) []string {
	b.Helper()
	now := time.Now()
	ids := make([]string, n)
	for i := range ids {
		t, _, err := s.CreateTask(b.Context(), catalog.CreateTask{Task: arca.Task{Operation: "backup",
			CreatedAt: now.Add(time.Duration(i) * time.Microsecond), Params: []byte(`{"source":"s1"}`)}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = t.ID
	}
	return ids
}
