package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/catalogtest"
	"github.com/arcabackup/arca/internal/catalog/postgres"
	"github.com/arcabackup/arca/internal/testenv"
)

// newSchema returns the name of a fresh schema for t, dropped (with
// everything in it) when t ends.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "arca_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.WithoutCancel(t.Context())
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// open opens a catalog in schema, closed when t ends (before the schema is
// dropped).
func open(t testing.TB, url, schema string) *postgres.DB {
	t.Helper()
	db, err := postgres.OpenSchema(t.Context(), url, schema)
	if err != nil {
		t.Fatalf("OpenSchema: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	url := testenv.PostgresURL(t)
	catalogtest.Run(t, func(t *testing.T) catalog.Store {
		return open(t, url, newSchema(t, url))
	})
}
