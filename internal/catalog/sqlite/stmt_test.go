package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// BenchmarkGetTaskPrepared compares GetTask through the statement prepared
// on the read pool with the same query parsed again on every call (as the
// catalog did before it kept prepared statements).
func BenchmarkGetTaskPrepared(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "c.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ids := make([]string, 1000)
	now := time.Now()
	for i := range ids {
		t, _, err := db.CreateTask(b.Context(), catalog.CreateTask{Task: arca.Task{Operation: "backup",
			CreatedAt: now.Add(time.Duration(i) * time.Microsecond), Params: []byte(`{"source":"s1"}`)}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = t.ID
	}
	for _, bc := range []struct {
		name string
		get  func(id string) (arca.Task, error)
	}{
		{"prepared", func(id string) (arca.Task, error) { return db.GetTask(b.Context(), id) }},
		{"parsed", func(id string) (arca.Task, error) { return getTask(b.Context(), db.read, id) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := bc.get(ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetTaskReadPool reads tasks from 64 goroutines at once (as 64
// HTTP clients would) through read pools of several sizes.
func BenchmarkGetTaskReadPool(b *testing.B) {
	db, err := Open(b.Context(), filepath.Join(b.TempDir(), "c.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ids := make([]string, 1000)
	now := time.Now()
	for i := range ids {
		t, _, err := db.CreateTask(b.Context(), catalog.CreateTask{Task: arca.Task{Operation: "backup",
			CreatedAt: now.Add(time.Duration(i) * time.Microsecond), Params: []byte(`{"source":"s1"}`)}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = t.ID
	}
	for _, n := range []int{1, 2, 4, 8, 16} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			db.read.SetMaxOpenConns(n)
			db.read.SetMaxIdleConns(n)
			b.ReportAllocs()
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := db.GetTask(b.Context(), ids[next.Add(1)%int64(len(ids))]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestZeroProgress: the text decodeTaskJSON takes for the zero progress is
// what the zero progress encodes to.
func TestZeroProgress(t *testing.T) {
	got, err := catalog.JSONValue(arca.Progress{})
	if err != nil {
		t.Fatal(err)
	}
	if got != zeroProgress {
		t.Errorf("zero progress encodes to %q, decodeTaskJSON skips %q", got, zeroProgress)
	}
}

// TestGetTaskRefusesADoneContext: GetTask does not watch its context during
// the read, but one already done is refused before it.
func TestGetTaskRefusesADoneContext(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	task, _, err := db.CreateTask(t.Context(), catalog.CreateTask{Task: arca.Task{Operation: "backup", CreatedAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetTask(t.Context(), task.ID); err != nil {
		t.Fatalf("GetTask: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := db.GetTask(ctx, task.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("GetTask with a canceled context: %v, want context.Canceled", err)
	}
}
