package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/sourcetest"
	sqlitesrc "github.com/arcabackup/arca/internal/source/sqlite"
)

func config(t testing.TB, settings any) source.Config {
	t.Helper()
	b, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	return source.Config{Source: arca.Source{ID: "src-lite", Name: "app-db", Kind: arca.SourceSQLite, Settings: b}}
}

func open(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func mustExec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// newDB makes a WAL database of about 5 MB with two tables a writer fills
// together (small: modernc.org/sqlite under the race detector is slow).
func newDB(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	db := open(t, path)
	mustExec(t, db,
		"CREATE TABLE orders (n INTEGER PRIMARY KEY, note TEXT)",
		"CREATE TABLE events (id INTEGER PRIMARY KEY, tx INTEGER NOT NULL, payload TEXT NOT NULL)",
		`WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 4000)
		 INSERT INTO events (tx, payload) SELECT 0, hex(randomblob(600)) FROM g`)
	return path
}

func TestConformance(t *testing.T) {
	path := newDB(t)
	sourcetest.Run(t, sourcetest.Conformance{
		Driver:    sqlitesrc.New(),
		Config:    config(t, sqlitesrc.Settings{Path: path}),
		InProcess: true,
		Invalid: []sourcetest.Invalid{
			{Name: "no path", Settings: `{}`, Field: "settings.path"},
			{Name: "relative path", Settings: `{"path": "app.db"}`, Field: "settings.path"},
			{Name: "query in path", Settings: `{"path": "/x/app.db?mode=memory"}`, Field: "settings.path"},
			{Name: "relative temp dir", Settings: `{"path": "/x/app.db", "temp_dir": "tmp"}`, Field: "settings.temp_dir"},
			{Name: "unknown", Settings: `{"path": "/x/app.db", "file": "y"}`, Field: "settings.file"},
		},
	})
}

// TestBackupWhileWriting copies the database while a writer commits, and
// checks the copy is whole and holds exactly the writer's transactions up
// to one moment; then restores it.
func TestBackupWhileWriting(t *testing.T) {
	path := newDB(t)
	wdb := open(t, path)
	ctx, stop := context.WithCancel(context.Background())
	var committed atomic.Int64
	progress := make(chan struct{}, 1)
	werr := make(chan error, 1)
	go func() {
		for n := int64(1); ctx.Err() == nil; n++ {
			tx, err := wdb.Begin()
			if err == nil {
				_, err = tx.Exec("INSERT INTO orders VALUES (?, 'order')", n)
			}
			if err == nil {
				_, err = tx.Exec("INSERT INTO events (tx, payload) VALUES (?, hex(randomblob(64)))", n)
			}
			if err == nil {
				err = tx.Commit()
			}
			if err != nil {
				werr <- err
				return
			}
			committed.Store(n)
			select {
			case progress <- struct{}{}:
			default:
			}
		}
		werr <- nil
	}()
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
	waitFor(10)
	before := committed.Load()
	sink := &sourcetest.Sink{}
	c := config(t, sqlitesrc.Settings{Path: path, TempDir: t.TempDir()})
	meta, err := sqlitesrc.New().Backup(context.Background(), c, source.BackupOptions{}, sink)
	after := committed.Load()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(after + 10)
	stop()
	if err := <-werr; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if diff := cmp.Diff([]string{"app.db"}, sink.Names()); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	if meta["engine"] != "sqlite" || meta["server_version"] == "" || meta["journal_mode"] != "wal" ||
		!strings.Contains(meta["databases"], `"name":"app.db"`) {
		t.Errorf("meta = %v", meta)
	}

	restored := filepath.Join(t.TempDir(), "restored.db")
	res, err := sqlitesrc.New().Restore(context.Background(), c, sink.Reader(meta), json.RawMessage(`{"path": "`+restored+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != sink.Bytes() {
		t.Errorf("restored %d bytes, want %d", res.Bytes, sink.Bytes())
	}
	rdb := open(t, restored)
	var maxN, orders, events, base int64
	if err := rdb.QueryRow(`SELECT coalesce(max(n), 0), count(*), (SELECT count(*) FROM events WHERE tx > 0),
		(SELECT count(*) FROM events WHERE tx = 0) FROM orders`).Scan(&maxN, &orders, &events, &base); err != nil {
		t.Fatal(err)
	}
	// +1: the writer records a transaction just after its COMMIT returns.
	if maxN < before || maxN > after+1 {
		t.Errorf("copy holds writer transactions 1..%d, want N with %d <= N <= %d", maxN, before, after+1)
	}
	if diff := cmp.Diff([]int64{maxN, maxN, 4000}, []int64{orders, events, base}); diff != "" {
		t.Errorf("orders, writer events, first events in the copy (-want +got):\n%s", diff)
	}
	t.Logf("copied %d KB with %d..%d writer transactions around it; the copy has %d", sink.Bytes()>>10, before, after, maxN)
}

func TestRestoreRefusesOverwrite(t *testing.T) {
	c := config(t, sqlitesrc.Settings{Path: "/unused/app.db"})
	src := filepath.Join(t.TempDir(), "x.db")
	srcDB := open(t, src)
	mustExec(t, srcDB, "CREATE TABLE t (v)", "INSERT INTO t VALUES ('restored')")
	_ = srcDB.Close() // checkpoints the WAL into the file
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	snap := sourcetest.NewReader(nil, sourcetest.NewStream("x.db", data))
	target := filepath.Join(t.TempDir(), "live.db")
	mustExec(t, open(t, target), "CREATE TABLE t (v)", "INSERT INTO t VALUES ('live')")
	tg := json.RawMessage(`{"path": "` + target + `"}`)
	if _, err := sqlitesrc.New().Restore(context.Background(), c, snap, tg); arca.ErrorCode(err) != arca.CodeAlreadyExists {
		t.Fatalf("restore over a file = %v, want ALREADY_EXISTS", err)
	}
	if _, err := sqlitesrc.New().Restore(context.Background(), c, snap, json.RawMessage(`{"path": "`+target+`", "overwrite": true}`)); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := open(t, target).QueryRow("SELECT v FROM t").Scan(&v); err != nil || v != "restored" {
		t.Errorf("after overwrite: %q, %v; want restored", v, err)
	}
	bad := sourcetest.NewReader(nil, sourcetest.NewStream("x.db", []byte("not a database, just some bytes of text")))
	other := filepath.Join(t.TempDir(), "other.db")
	if _, err := sqlitesrc.New().Restore(context.Background(), c, bad, json.RawMessage(`{"path": "`+other+`"}`)); err == nil {
		t.Error("restoring garbage succeeded")
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("a failed restore left %s: %v", other, err)
	}
	for options, field := range map[string]string{`{"path": "rel.db"}`: "target.options.path", `{"paht": "/x.db"}`: "target.options.paht"} {
		_, err := sqlitesrc.New().Restore(context.Background(), c, snap, json.RawMessage(options))
		var ae *arca.Error
		if !errors.As(err, &ae) || ae.Code != arca.CodeInvalidArgument || len(ae.Fields) != 1 || ae.Fields[0].Field != field {
			t.Errorf("target %s = %v, want INVALID_ARGUMENT naming %s", options, err, field)
		}
	}
}

func TestProbe(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
		code arca.Code
	}{
		{"ok", small(t), ""},
		{"missing", filepath.Join(dir, "missing.db"), arca.CodeUnavailable},
		{"not a database", text, arca.CodeInvalidArgument},
		{"a directory", dir, arca.CodeInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := sqlitesrc.New().Probe(context.Background(), config(t, sqlitesrc.Settings{Path: tc.path}))
			if got := arca.ErrorCode(err); got != tc.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.code)
			}
			if err != nil && !strings.Contains(arca.ErrorMessage(err), `source "app-db"`) {
				t.Errorf("message %q does not name the source", arca.ErrorMessage(err))
			}
		})
	}
}

func small(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "small.db")
	mustExec(t, open(t, path), "CREATE TABLE t (v)")
	return path
}
