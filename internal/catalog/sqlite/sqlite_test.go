package sqlite_test

import (
	"path/filepath"
	"testing"

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

func BenchmarkCatalog(b *testing.B) {
	catalogtest.Benchmark(b, func(b *testing.B) catalog.Store { return openTemp(b) })
}
