package postgres_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/postgres"
	"github.com/arcabackup/arca/internal/source/sourcetest"
)

// bigRows rows of about 140 bytes make the events table's dump > 100 MB.
const bigRows = 800_000

// shopSchema makes a database with a few small tables and one large one.
// Every writer transaction n inserts one order and one event tagged n, so
// a consistent snapshot holds exactly the transactions 1..N of both.
var shopSchema = []string{
	"CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)",
	"INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 1000) g",
	"CREATE TABLE products (id int PRIMARY KEY, title text, price numeric(10,2))",
	"INSERT INTO products SELECT g, 'product ' || g, g * 1.25 FROM generate_series(1, 500) g",
	"CREATE TABLE orders (n bigint PRIMARY KEY, customer int REFERENCES customers, at timestamptz DEFAULT now())",
	"CREATE TABLE events (id bigserial PRIMARY KEY, tx bigint NOT NULL, payload text NOT NULL)",
	"INSERT INTO events (tx, payload) SELECT 0, repeat(md5(g::text), 4) FROM generate_series(1, " + itoa(bigRows) + ") g",
	"CREATE VIEW order_count AS SELECT count(*) FROM orders",
}

func itoa(n int) string { return strconv.Itoa(n) }

func fmtInt(n int) string { return strconv.Itoa(n) }

// writer commits transactions 1, 2, ... until ctx ends; committed is the
// last one committed.
func writer(ctx context.Context, t *testing.T, dsn string, committed *atomic.Int64, progress chan<- struct{}) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for n := int64(1); ctx.Err() == nil; n++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO orders (n, customer) VALUES ($1, $2)", n, n%1000+1); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO events (tx, payload) VALUES ($1, 'written during the backup ' || $1::bigint)", n)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		committed.Store(n)
		select {
		case progress <- struct{}{}:
		default:
		}
	}
	return nil
}

type tableSum struct {
	Rows int64
	Sum  string
}

// sums returns each table's row count and a checksum of its rows, with
// the writer's transactions after maxTx left out.
func sums(t *testing.T, dsn string, maxTx int64) map[string]tableSum {
	t.Helper()
	out := map[string]tableSum{}
	for table, where := range map[string]string{
		"customers": "true", "products": "true",
		"orders": "n <= " + fmtInt(int(maxTx)), "events": "tx <= " + fmtInt(int(maxTx)),
	} {
		var s tableSum
		q := "SELECT count(*), coalesce(sum(hashtextextended(x::text, 0)), 0)::text FROM " + table + " x WHERE " + where
		if table == "orders" { // at is set by the server: leave it out
			q = "SELECT count(*), coalesce(sum(hashtextextended(n::text || ',' || customer, 0)), 0)::text FROM orders WHERE " + where
		}
		queryRow(t, dsn, q, &s.Rows, &s.Sum)
		out[table] = s
	}
	return out
}

// TestBackupWhileWritingThenRestore dumps a database with a table of more
// than 100 MB while a writer keeps committing, restores it into a new
// database, and checks the restore holds exactly the state of one moment:
// every writer transaction up to some N (taken before the dump's first
// byte arrived) and none after, in both tables, with matching checksums.
func TestBackupWhileWritingThenRestore(t *testing.T) {
	t.Parallel() // after the conformance checks, which watch this process's children alone
	admin := adminURL(t)
	user, pw := passwordRole(t, admin)
	db := newDatabase(t, admin, "arca_shop_")
	dbURL := urlFor(t, admin, "", db)
	sqlExec(t, dbURL, shopSchema...)
	sqlExec(t, dbURL, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+user,
		"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "+user)
	sqlExec(t, admin, "ALTER ROLE "+user+" CREATEDB") // to create the restore's target

	ctx, stop := context.WithCancel(context.Background())
	var committed atomic.Int64
	progress := make(chan struct{}, 1)
	werr := make(chan error, 1)
	go func() { werr <- writer(ctx, t, dbURL, &committed, progress) }()
	waitFor := func(n int64) {
		deadline := time.After(30 * time.Second)
		for committed.Load() < n {
			select {
			case <-progress:
			case err := <-werr:
				t.Fatalf("writer stopped: %v", err)
			case <-deadline:
				t.Fatalf("the writer did not reach transaction %d", n)
			}
		}
	}
	waitFor(5)
	before := committed.Load()

	var atFirstByte int64
	sink := &sourcetest.Sink{Gate: func(ctx context.Context, name string) error {
		atFirstByte = committed.Load()
		waitFor(atFirstByte + 20) // the writer goes on while the dump runs
		return nil
	}}
	c := config(t, postgres.Settings{URL: urlFor(t, admin, user, db)}, pw)
	start := time.Now()
	meta, err := postgres.New().Backup(context.Background(), c, source.BackupOptions{Level: source.LevelFull}, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dumped %d MB in %v", sink.Bytes()>>20, time.Since(start))
	waitFor(committed.Load() + 5)
	stop()
	if err := <-werr; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if sink.Bytes() < 100<<20 {
		t.Errorf("dump is %d bytes, want > 100 MB", sink.Bytes())
	}
	if diff := cmp.Diff([]string{db + ".pgdump"}, sink.Names()); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	checkMeta(t, admin, db, meta)
	if sink.Expected() < 100<<20 {
		t.Errorf("Expect(%d), want the database's size", sink.Expected())
	}

	target := randName("arca_restored_")
	dropDatabaseAtEnd(t, admin, target)
	start = time.Now()
	res, err := postgres.New().Restore(context.Background(), c, sink.Reader(meta), json.RawMessage(`{"database": "`+target+`", "no_owner": true}`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restored in %v: %s", time.Since(start), res.Summary)
	if res.Bytes != sink.Bytes() {
		t.Errorf("restore read %d bytes, want %d", res.Bytes, sink.Bytes())
	}
	targetURL := urlFor(t, admin, "", target)
	var maxTx, orders, txEvents int64
	queryRow(t, targetURL, "SELECT coalesce(max(n), 0), count(*), (SELECT count(*) FROM events WHERE tx > 0) FROM orders", &maxTx, &orders, &txEvents)
	// +1: the writer records a transaction just after its COMMIT returns.
	if maxTx < before || maxTx > atFirstByte+1 {
		t.Errorf("restored writer transactions 1..%d, want N with %d <= N <= %d", maxTx, before, atFirstByte+1)
	}
	if orders != maxTx || txEvents != maxTx {
		t.Errorf("restored %d orders and %d writer events, want %d of each (one snapshot)", orders, txEvents, maxTx)
	}
	if committed.Load() <= maxTx {
		t.Errorf("the writer committed %d transactions, none after the snapshot (%d)", committed.Load(), maxTx)
	}
	if diff := cmp.Diff(sums(t, dbURL, maxTx), sums(t, targetURL, maxTx)); diff != "" {
		t.Errorf("tables of the restore differ from the source at the snapshot (-source +restored):\n%s", diff)
	}
	var view int64
	queryRow(t, targetURL, "SELECT * FROM order_count", &view)
	if view != maxTx {
		t.Errorf("restored view counts %d, want %d", view, maxTx)
	}
}

func checkMeta(t *testing.T, admin, db string, meta source.Meta) {
	t.Helper()
	var version string
	queryRow(t, admin, "SELECT split_part(current_setting('server_version'), ' ', 1)", &version)
	var dbs []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	}
	if err := json.Unmarshal([]byte(meta["databases"]), &dbs); err != nil {
		t.Fatalf("meta databases %q: %v", meta["databases"], err)
	}
	if len(dbs) != 1 || dbs[0].Name != db || dbs[0].Size < 100<<20 {
		t.Errorf("meta databases = %+v, want %s with its size", dbs, db)
	}
	want := map[string]string{"engine": "postgresql", "server_version": version, "mode": "database"}
	got := map[string]string{"engine": meta["engine"], "server_version": meta["server_version"], "mode": meta["mode"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(meta["tool_version"], "pg_dump ") {
		t.Errorf("meta tool_version = %q", meta["tool_version"])
	}
}
