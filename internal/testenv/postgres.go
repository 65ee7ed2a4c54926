package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresSchema returns the test database URL and the name of a fresh,
// empty schema in it that is dropped (with everything in it) when t ends, so
// tests sharing one server never see each other's tables.
func PostgresSchema(t testing.TB) (url, schema string) {
	t.Helper()
	url = PostgresURL(t)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema = "arca_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
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
	return url, schema
}
