package sqlite

import (
	"context"
	"errors"
	"path/filepath"
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
