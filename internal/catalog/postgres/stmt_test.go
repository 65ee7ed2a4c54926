package postgres

import (
	"testing"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/testenv"
)

// TestGetTaskPrepared: pgx keeps GetTask's query prepared on each connection
// of the pool (its default statement cache), so PostgreSQL does not parse and
// plan it on every call: after two reads on one connection, that session's
// pg_prepared_statements lists the query once.
func TestGetTaskPrepared(t *testing.T) {
	url := testenv.PostgresURL(t)
	db, err := OpenSchema(t.Context(), url, schemaFor(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	created, _, err := db.CreateTask(t.Context(), catalog.CreateTask{Task: arca.Task{Operation: "backup"}})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for range 2 {
		if _, err := getTask(t.Context(), conn, created.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	err = conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_prepared_statements WHERE statement = $1`,
		`SELECT `+taskColumns+` FROM tasks WHERE id = $1 `).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("GetTask's query is prepared %d times on the connection, want 1", n)
	}
}

// TestZeroProgress: the text scanTask takes for the zero progress is what the
// zero progress encodes to.
func TestZeroProgress(t *testing.T) {
	got, err := catalog.JSONValue(arca.Progress{})
	if err != nil {
		t.Fatal(err)
	}
	if got != zeroProgress {
		t.Errorf("zero progress encodes to %q, scanTask skips %q", got, zeroProgress)
	}
}

// schemaFor returns a fresh schema of the test database, dropped when t ends.
func schemaFor(t *testing.T) string {
	_, schema := testenv.PostgresSchema(t)
	return schema
}
