package postgres_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/catalogtest"
	"github.com/arcabackup/arca/internal/catalog/postgres"
	"github.com/arcabackup/arca/internal/testenv"
)

// newSchema returns the name of a fresh schema of the test database (url is
// always testenv's), dropped with everything in it when t ends.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	_, schema := testenv.PostgresSchema(t)
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

// TestTwoProcessesClaim: two catalogs on one database (two processes, each
// with its own pool) claiming at once never claim a task twice.
func TestTwoProcessesClaim(t *testing.T) {
	url := testenv.PostgresURL(t)
	schema := newSchema(t, url)
	catalogtest.ClaimOnce(t, open(t, url, schema), open(t, url, schema))
}

func BenchmarkCatalog(b *testing.B) {
	url := testenv.PostgresURL(b)
	catalogtest.Benchmark(b, func(b *testing.B) catalog.Store { return open(b, url, newSchema(b, url)) })
}

// TestOpenTogether: processes starting at once on a new schema all open it;
// the schema is created and migrated once.
func TestOpenTogether(t *testing.T) {
	url := testenv.PostgresURL(t)
	schema := newSchema(t, url)
	const n = 4
	dbs := make([]*postgres.DB, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = postgres.OpenSchema(t.Context(), url, schema)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("OpenSchema %d: %v", i, errs[i])
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	created, _, err := dbs[0].CreateTask(t.Context(), catalog.CreateTask{Task: arca.Task{Operation: "backup"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[n-1].GetTask(t.Context(), created.ID); err != nil {
		t.Errorf("a task created through one handle, read through another: %v", err)
	}
}

func TestOpenRefused(t *testing.T) {
	url := testenv.PostgresURL(t)
	for _, schema := range []string{"Bad", "a;drop", "x-y", "1abc"} {
		if db, err := postgres.OpenSchema(t.Context(), url, schema); err == nil {
			db.Close()
			t.Errorf("OpenSchema(%q) succeeded", schema)
		}
	}
	if db, err := postgres.Open(t.Context(), "postgres://127.0.0.1:1/nothing?connect_timeout=2"); err == nil {
		db.Close()
		t.Error("Open of a server that does not answer succeeded")
	}
}

// TestOpenSearchPath: Open with search_path in the URL uses that schema.
func TestOpenSearchPath(t *testing.T) {
	url := testenv.PostgresURL(t)
	schema := newSchema(t, url)
	first := open(t, url, schema)
	created, _, err := first.CreateTask(t.Context(), catalog.CreateTask{Task: arca.Task{Operation: "backup"}})
	if err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := postgres.Open(t.Context(), url+sep+"search_path="+schema)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if _, err := db.GetTask(t.Context(), created.ID); err != nil {
		t.Errorf("GetTask through the search_path URL: %v", err)
	}
}
