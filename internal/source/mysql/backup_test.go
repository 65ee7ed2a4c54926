package mysql_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/mysql"
	"github.com/arcabackup/arca/internal/source/sourcetest"
)

// bigRows rows of about 140 bytes make the events table's dump > 100 MB.
const bigRows = 760_000

// shopSchema: a few small tables, one large, a view, a trigger, a routine
// and an event. Every writer transaction n inserts one order and one event
// tagged n, so a consistent snapshot holds exactly transactions 1..N.
var shopSchema = `
CREATE TABLE customers (id int PRIMARY KEY, name varchar(100) NOT NULL);
INSERT INTO customers SELECT seq, CONCAT('customer ', seq) FROM seq_1_to_1000;
CREATE TABLE orders (n bigint PRIMARY KEY, customer int NOT NULL, FOREIGN KEY (customer) REFERENCES customers (id));
CREATE TABLE order_log (n bigint PRIMARY KEY);
CREATE TRIGGER order_logged AFTER INSERT ON orders FOR EACH ROW INSERT INTO order_log VALUES (NEW.n);
CREATE TABLE events (id bigint AUTO_INCREMENT PRIMARY KEY, tx bigint NOT NULL, payload text NOT NULL);
INSERT INTO events (tx, payload) SELECT 0, REPEAT(MD5(seq), 4) FROM seq_1_to_` + strconv.Itoa(bigRows) + `;
CREATE VIEW order_count AS SELECT COUNT(*) AS n FROM orders;
CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN 2 * x;
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM order_log WHERE n < 0;
ANALYZE TABLE customers, events; -- information_schema's sizes come from InnoDB's statistics
`

// writer commits transactions 1, 2, ... through a client session until
// ctx ends; committed is the last one committed.
func writer(ctx context.Context, s server, db string, committed *atomic.Int64, progress chan<- struct{}) error {
	cmd := s.client(ctx, db, "--unbuffered")
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = in.Close(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(out)
	for n := int64(1); ctx.Err() == nil; n++ {
		_, err := fmt.Fprintf(in, "START TRANSACTION; INSERT INTO orders VALUES (%d, %d); INSERT INTO events (tx, payload) VALUES (%d, 'written during the backup'); COMMIT; SELECT %d;\n",
			n, n%1000+1, n, n)
		if err != nil || !lines.Scan() {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("writer at %d: %v %v", n, err, lines.Err())
		}
		if lines.Text() != strconv.FormatInt(n, 10) {
			return fmt.Errorf("writer at %d: got %q", n, lines.Text())
		}
		committed.Store(n)
		select {
		case progress <- struct{}{}:
		default:
		}
	}
	return nil
}

// sums returns each table's row count and checksum, with the writer's
// transactions after maxTx left out.
func sums(t *testing.T, s server, db string, maxTx int64) map[string][]string {
	t.Helper()
	m := strconv.FormatInt(maxTx, 10)
	out := map[string][]string{}
	for table, q := range map[string]string{
		"customers": "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', id, name))) FROM customers",
		"orders":    "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', n, customer))) FROM orders WHERE n <= " + m,
		"order_log": "SELECT COUNT(*), SUM(n) FROM order_log WHERE n <= " + m,
		"events":    "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', id, tx, payload))) FROM events WHERE tx <= " + m,
	} {
		out[table] = s.exec(t, db, q)[0]
	}
	return out
}

// TestBackupWhileWritingThenRestore dumps a database with a table of more
// than 100 MB while a writer keeps committing, restores it into a new
// database, and checks the restore holds exactly the state of one moment,
// with its view, trigger, routine and event.
func TestBackupWhileWritingThenRestore(t *testing.T) {
	t.Parallel() // after the conformance checks, which watch this process's children alone
	s := testServer(t)
	db := s.database(t, "arca_shop_")
	start := time.Now()
	s.exec(t, db, shopSchema)
	t.Logf("made the database in %v", time.Since(start))
	// MariaDB shows mysqldump the routines of other definers only with
	// SELECT on mysql.proc (docs/sources.md).
	user, pw := s.newUser(t, "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON "+db+".* TO USER", "GRANT SELECT ON mysql.proc TO USER")
	// Restoring a trigger defined by another user needs SET USER (or SUPER).
	admin, apw := s.newUser(t, "GRANT ALL ON *.* TO USER")

	ctx, stop := context.WithCancel(context.Background())
	var committed atomic.Int64
	progress := make(chan struct{}, 1)
	werr := make(chan error, 1)
	go func() { werr <- writer(ctx, s, db, &committed, progress) }()
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
		waitFor(atFirstByte + 20)
		return nil
	}}
	c := config(t, mysql.Settings{URL: s.url(user, db)}, pw)
	start = time.Now()
	meta, err := mysql.New().Backup(context.Background(), c, source.BackupOptions{Level: source.LevelFull}, sink)
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
	if diff := cmp.Diff([]string{db + ".sql"}, sink.Names()); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	checkMeta(t, s, db, meta)

	target := randName("arca_restored_")
	s.dropAtEnd(t, target)
	start = time.Now()
	restoreAs := config(t, mysql.Settings{URL: s.url(admin, db)}, apw)
	res, err := mysql.New().Restore(context.Background(), restoreAs, sink.Reader(meta), json.RawMessage(`{"database": "`+target+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restored in %v: %s", time.Since(start), res.Summary)
	got := s.exec(t, target, "SELECT COALESCE(MAX(n), 0), COUNT(*), (SELECT COUNT(*) FROM events WHERE tx > 0), (SELECT n FROM order_count), twice(21) FROM orders")[0]
	maxTx, _ := strconv.ParseInt(got[0], 10, 64)
	// +1: the writer records a transaction just after its COMMIT returns.
	if maxTx < before || maxTx > atFirstByte+1 {
		t.Errorf("restored writer transactions 1..%d, want N with %d <= N <= %d", maxTx, before, atFirstByte+1)
	}
	if diff := cmp.Diff([]string{got[0], got[0], got[0], got[0], "42"}, got); diff != "" {
		t.Errorf("max order, orders, writer events, view, routine (-want +got):\n%s", diff)
	}
	if committed.Load() <= maxTx {
		t.Errorf("the writer committed %d transactions, none after the snapshot (%d)", committed.Load(), maxTx)
	}
	if diff := cmp.Diff(sums(t, s, db, maxTx), sums(t, s, target, maxTx)); diff != "" {
		t.Errorf("tables of the restore differ from the source at the snapshot (-source +restored):\n%s", diff)
	}
	triggers := s.exec(t, "", "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE trigger_schema = '"+target+"'")
	events := s.exec(t, "", "SELECT COUNT(*) FROM information_schema.EVENTS WHERE event_schema = '"+target+"'")
	if diff := cmp.Diff([][]string{{"1"}, {"1"}}, [][]string{triggers[0], events[0]}); diff != "" {
		t.Errorf("triggers, events restored (-want +got):\n%s", diff)
	}
}

func checkMeta(t *testing.T, s server, db string, meta source.Meta) {
	t.Helper()
	version := s.exec(t, "", "SELECT VERSION()")[0][0]
	var dbs []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	}
	if err := json.Unmarshal([]byte(meta["databases"]), &dbs); err != nil {
		t.Fatalf("meta databases %q: %v", meta["databases"], err)
	}
	if len(dbs) != 1 || dbs[0].Name != db || dbs[0].Size < 50<<20 {
		t.Errorf("meta databases = %+v, want %s with its size", dbs, db)
	}
	want := map[string]string{"engine": "mariadb", "server_version": version, "mode": "database"}
	got := map[string]string{"engine": meta["engine"], "server_version": meta["server_version"], "mode": meta["mode"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(meta["tool_version"], "mariadb-dump") {
		t.Errorf("meta tool_version = %q", meta["tool_version"])
	}
}
