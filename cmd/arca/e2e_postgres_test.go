package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/catalog/postgres"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/testenv"
)

// pgCatalog returns a catalog URL of a fresh schema in the test database.
func pgCatalog(t *testing.T) string {
	t.Helper()
	url := testenv.PostgresURL(t)
	schema := fmt.Sprintf("e2e_%d", time.Now().UnixNano())
	db, err := postgres.OpenSchema(context.Background(), url, schema)
	if err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	db.Close()
	t.Cleanup(func() { dropSchema(t, url, schema) }) // runs after the servers using it stopped
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}

func startPGServer(t *testing.T, s serverSetup) *testServer {
	t.Helper()
	if s.args == nil {
		s.args = []string{"--catalog", pgCatalog(t)}
	}
	return startServer(t, s)
}

// TestPostgresEndToEnd runs the end-to-end flows against a server whose
// catalog is PostgreSQL.
func TestPostgresEndToEnd(t *testing.T) {
	testenv.PostgresURL(t)
	flows := map[string]func(*testing.T, *testServer){
		"long poll":       testSelftestLongPoll,
		"events + resume": testEventStreamAndResume,
		"events wire":     testEventStreamWireFormat,
		"cancel + delete": testCancelAndDelete,
		"idempotency":     testIdempotency,
		"list pages":      testListTasksPages,
	}
	for name, flow := range flows {
		t.Run(name, func(t *testing.T) { flow(t, startPGServer(t, serverSetup{})) })
	}
	t.Run("restart", func(t *testing.T) {
		catalog, token := pgCatalog(t), newToken(t)
		first := startPGServer(t, serverSetup{token: token, args: []string{"--catalog", catalog}})
		a := startSelftest(t, first.Client, serverapi.SelftestRequest{DurationMS: 1000, Steps: 10})
		watchUntil(t, first.Client, a.Task.ID, running)
		first.Stop(t)
		second := startPGServer(t, serverSetup{token: token, args: []string{"--catalog", catalog}})
		final, err := second.Client.WaitTask(context.Background(), a.Task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if final.State != "succeeded" || final.Attempt < 2 {
			t.Errorf("after restart: %s at attempt %d; want succeeded by a second attempt", final.State, final.Attempt)
		}
	})
}

func dropSchema(t *testing.T, url, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}
