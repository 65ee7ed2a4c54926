package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/postgres"
	"github.com/arcabackup/arca/internal/source/sourcetest"
)

func TestConformance(t *testing.T) {
	admin := adminURL(t)
	user, pw := passwordRole(t, admin) // first: dropped after the database
	db := newDatabase(t, admin, "arca_conf_")
	sqlExec(t, urlFor(t, admin, "", db),
		"CREATE TABLE t (id int PRIMARY KEY, payload text)",
		"INSERT INTO t SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 40000) g", // ~4 MB dumped
		"GRANT SELECT ON t TO "+user)
	sourcetest.Run(t, sourcetest.Conformance{
		Driver: postgres.New(),
		Config: config(t, postgres.Settings{URL: urlFor(t, admin, user, db)}, pw),
		Invalid: []sourcetest.Invalid{
			{Name: "no url", Settings: `{}`, Field: "settings.url"},
			{Name: "not a url", Settings: `{"url": "mysql://h/db"}`, Field: "settings.url"},
			{Name: "password in url", Settings: `{"url": "postgres://u:secret@h/db"}`, Field: "settings.url"},
			{Name: "password parameter", Settings: `{"url": "postgres://u@h/db?password=x"}`, Field: "settings.url"},
			{Name: "no database", Settings: `{"url": "postgres://u@h:5432"}`, Field: "settings.url"},
			{Name: "bad mode", Settings: `{"url": "postgres://u@h/db", "mode": "all"}`, Field: "settings.mode"},
			{Name: "databases without cluster", Settings: `{"url": "postgres://u@h/db", "databases": ["a"]}`, Field: "settings.databases"},
			{Name: "relative bin dir", Settings: `{"url": "postgres://u@h/db", "bin_dir": "bin"}`, Field: "settings.bin_dir"},
			{Name: "unknown setting", Settings: `{"url": "postgres://u@h/db", "host": "h"}`, Field: "settings.host"},
		},
	})
}

func TestProbeErrors(t *testing.T) {
	admin := adminURL(t)
	user, pw := passwordRole(t, admin) // first: dropped after the database
	db := newDatabase(t, admin, "arca_probe_")
	sqlExec(t, urlFor(t, admin, "", db),
		"CREATE TABLE open_data (id int)", "CREATE TABLE salaries (id int)",
		"GRANT SELECT ON open_data TO "+user)
	cases := []struct {
		name     string
		settings postgres.Settings
		secret   string
		code     arca.Code
		contains []string
	}{
		{"ok", postgres.Settings{URL: urlFor(t, admin, "", db)}, "", "", nil},
		{"stopped server", postgres.Settings{URL: "postgres://arca@127.0.0.1:1/" + db}, pw, arca.CodeUnavailable,
			[]string{`source "shop-db"`, "127.0.0.1:1", "connection refused", "start the server"}},
		{"wrong password", postgres.Settings{URL: urlFor(t, admin, user, db)}, pw + "x", arca.CodeUnauthenticated,
			[]string{`source "shop-db"`, user, "password"}},
		{"no password", postgres.Settings{URL: urlFor(t, admin, user, db)}, "", arca.CodeUnauthenticated,
			[]string{`source "shop-db"`, "password"}},
		{"missing privilege", postgres.Settings{URL: urlFor(t, admin, user, db)}, pw, arca.CodePermissionDenied,
			[]string{`source "shop-db"`, "public.salaries", "grant it SELECT"}},
		{"cluster needs superuser", postgres.Settings{URL: urlFor(t, admin, user, db), Mode: postgres.ModeCluster}, pw, arca.CodePermissionDenied,
			[]string{"superuser"}},
		{"no such database", postgres.Settings{URL: urlFor(t, admin, "", "arca_no_such_db")}, "", arca.CodeInvalidArgument,
			[]string{"arca_no_such_db"}},
		{"missing tools", postgres.Settings{URL: urlFor(t, admin, "", db), BinDir: "/nonexistent/bin"}, "", arca.CodeUnavailable,
			[]string{"pg_dump", "/nonexistent/bin", "install"}},
		{"tools older than the server", postgres.Settings{URL: urlFor(t, admin, "", db), BinDir: fakeTools(t, "9.6.24")}, "", arca.CodeUnavailable,
			[]string{"pg_dump 9.6", "cannot dump the PostgreSQL", "postgresql-client-"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := config(t, tc.settings, tc.secret)
			start := time.Now()
			err := postgres.New().Probe(context.Background(), c)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Probe took %v, want fast", d)
			}
			if got := arca.ErrorCode(err); got != tc.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.code)
			}
			for _, s := range tc.contains {
				if !strings.Contains(arca.ErrorMessage(err), s) {
					t.Errorf("message %q lacks %q", arca.ErrorMessage(err), s)
				}
			}
			if pw != "" && err != nil && strings.Contains(err.Error(), pw) {
				t.Errorf("the password is in the error: %v", err)
			}
			if tc.code == "" {
				return
			}
			// A backup fails the same way, and fast, with nothing in the sink.
			sink := &sourcetest.Sink{}
			_, err = postgres.New().Backup(context.Background(), c, source.BackupOptions{}, sink)
			if got := arca.ErrorCode(err); got != tc.code {
				t.Errorf("Backup code = %q (%v), want %q", got, err, tc.code)
			}
			if len(sink.Names()) != 0 {
				t.Errorf("streams after a failed backup: %v", sink.Names())
			}
		})
	}
}

func TestRestoreRefusesExistingDatabase(t *testing.T) {
	admin := adminURL(t)
	db := newDatabase(t, admin, "arca_exist_")
	sqlExec(t, urlFor(t, admin, "", db), "CREATE TABLE t AS SELECT 1 AS x")
	c := config(t, postgres.Settings{URL: urlFor(t, admin, "", db)}, "")
	sink := &sourcetest.Sink{}
	meta, err := postgres.New().Backup(context.Background(), c, source.BackupOptions{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	_, err = postgres.New().Restore(context.Background(), c, sink.Reader(meta), json.RawMessage(`{"database": "`+db+`"}`))
	if arca.ErrorCode(err) != arca.CodeAlreadyExists || !strings.Contains(arca.ErrorMessage(err), "target.options.clean") {
		t.Errorf("restore over an existing database = %v, want ALREADY_EXISTS naming target.options.clean", err)
	}
	_, err = postgres.New().Restore(context.Background(), c, sink.Reader(meta), nil)
	if arca.ErrorCode(err) != arca.CodeInvalidArgument {
		t.Errorf("restore without a target = %v, want INVALID_ARGUMENT", err)
	}
	// clean: replaces the objects in place.
	sqlExec(t, urlFor(t, admin, "", db), "INSERT INTO t VALUES (2)")
	if _, err := postgres.New().Restore(context.Background(), c, sink.Reader(meta), json.RawMessage(`{"database": "`+db+`", "clean": true}`)); err != nil {
		t.Fatal(err)
	}
	var n int
	queryRow(t, urlFor(t, admin, "", db), "SELECT count(*) FROM t", &n)
	if diff := cmp.Diff(1, n); diff != "" {
		t.Errorf("rows after a clean restore (-want +got):\n%s", diff)
	}
}

// fakeTools makes a directory of client tools that claim to be of
// version v (and do nothing else).
func fakeTools(t *testing.T, v string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"pg_dump", "pg_dumpall", "pg_restore", "psql"} {
		script := "#!/bin/sh\necho '" + name + " (PostgreSQL) " + v + "'\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
