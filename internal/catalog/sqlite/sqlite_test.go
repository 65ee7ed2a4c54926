package sqlite_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/catalogtest"
	"github.com/arcabackup/arca/internal/catalog/sqlite"
)

// openTemp opens a catalog in a new file under t.TempDir.
func openTemp(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Store { return openTemp(t) })
}

// TestTwoHandlesClaim: two handles on one file (the server and a CLI
// command, say) claiming at once never claim a task twice, and never fail
// with SQLITE_BUSY.
func TestTwoHandlesClaim(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	catalogtest.ClaimOnce(t, openPath(t, path), openPath(t, path))
}

func BenchmarkCatalog(b *testing.B) {
	catalogtest.Benchmark(b, func(b *testing.B) catalog.Store { return openTemp(b) })
}

// TestReopen: what a catalog stored is there after Close and Open, and
// opening an up-to-date file migrates nothing.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	created, _, err := db.CreateTask(ctx, catalog.CreateTask{Task: arca.Task{Operation: "backup", ExclusiveKey: "source:s1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openPath(t, path)
	got, err := db.GetTask(ctx, created.ID)
	if err != nil {
		t.Fatalf("GetTask after reopen: %v", err)
	}
	if d := cmp.Diff(created, got); d != "" {
		t.Errorf("task after reopen (-want +got):\n%s", d)
	}
	_, _, err = db.CreateTask(ctx, catalog.CreateTask{Task: arca.Task{Operation: "backup", ExclusiveKey: "source:s1"}})
	if !errors.Is(err, arca.ErrFeatureInUse) {
		t.Errorf("the key taken before reopening: CreateTask = %v, want FEATURE_IN_USE", err)
	}
}

func TestMemory(t *testing.T) {
	db := openPath(t, ":memory:")
	ctx := t.Context()
	created, _, err := db.CreateTask(ctx, catalog.CreateTask{Task: arca.Task{Operation: "backup"}})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := db.ClaimTasks(ctx, "w", []arca.Operation{"backup"}, 5, time.Now(), time.Now().Add(time.Minute))
	if err != nil || len(claimed) != 1 || claimed[0].ID != created.ID {
		t.Fatalf("ClaimTasks = %v, %v", claimed, err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefused(t *testing.T) {
	for _, path := range []string{"", filepath.Join(t.TempDir(), "missing-dir", "c.db")} {
		if db, err := sqlite.Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func openPath(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
