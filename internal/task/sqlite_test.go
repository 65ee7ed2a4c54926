package task_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/sqlite"
)

func openSQLite(t *testing.T) catalog.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestEngineSQLite(t *testing.T) {
	t.Parallel()
	runEngineSuite(t, openSQLite)
}

func TestExactlyOnceSQLite(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	runExactlyOnce(t, []catalog.Store{s, s})
}
