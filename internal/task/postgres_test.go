package task_test

import (
	"context"
	"testing"

	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/postgres"
	"github.com/arcabackup/arca/internal/testenv"
)

func openPostgres(t *testing.T, url, schema string) catalog.Store {
	t.Helper()
	db, err := postgres.OpenSchema(context.Background(), url, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestEnginePostgres(t *testing.T) {
	t.Parallel()
	runEngineSuite(t, func(t *testing.T) catalog.Store {
		url, schema := testenv.PostgresSchema(t)
		return openPostgres(t, url, schema)
	})
}

// TestExactlyOncePostgres runs three engines, each with its own connection
// pool as separate processes would have, over one PostgreSQL catalog.
func TestExactlyOncePostgres(t *testing.T) {
	t.Parallel()
	url, schema := testenv.PostgresSchema(t)
	var stores []catalog.Store
	for i := 0; i < 3; i++ {
		stores = append(stores, openPostgres(t, url, schema))
	}
	runExactlyOnce(t, stores)
}
