package mysql_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/mysql"
	"github.com/arcabackup/arca/internal/source/sourcetest"
)

func TestConformance(t *testing.T) {
	s := testServer(t)
	db := s.database(t, "arca_conf_")
	user, pw := s.newUser(t, "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON "+db+".* TO USER", "GRANT SELECT ON mysql.proc TO USER")
	s.exec(t, db, "CREATE TABLE t (id int PRIMARY KEY, payload text); INSERT INTO t SELECT seq, REPEAT(MD5(seq), 3) FROM seq_1_to_40000")
	sourcetest.Run(t, sourcetest.Conformance{
		Driver: mysql.New(),
		Config: config(t, mysql.Settings{URL: s.url(user, db)}, pw),
		Invalid: []sourcetest.Invalid{
			{Name: "no url", Settings: `{}`, Field: "settings.url"},
			{Name: "not mysql", Settings: `{"url": "postgres://u@h/db"}`, Field: "settings.url"},
			{Name: "password in url", Settings: `{"url": "mysql://u:pw@h/db"}`, Field: "settings.url"},
			{Name: "no user", Settings: `{"url": "mysql://h/db"}`, Field: "settings.url"},
			{Name: "no database", Settings: `{"url": "mysql://u@h:3306"}`, Field: "settings.url"},
			{Name: "bad port", Settings: `{"url": "mysql://u@h:99999/db"}`, Field: "settings.url"},
			{Name: "query", Settings: `{"url": "mysql://u@h/db?tls=true"}`, Field: "settings.url"},
			{Name: "bad mode", Settings: `{"url": "mysql://u@h/db", "mode": "cluster"}`, Field: "settings.mode"},
			{Name: "relative bin dir", Settings: `{"url": "mysql://u@h/db", "bin_dir": "bin"}`, Field: "settings.bin_dir"},
			{Name: "unknown setting", Settings: `{"url": "mysql://u@h/db", "password": "x"}`, Field: "settings.password"},
		},
	})
}

func TestProbeErrors(t *testing.T) {
	s := testServer(t)
	db := s.database(t, "arca_probe_")
	s.exec(t, db, "CREATE TABLE t (id int); CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t")
	user, pw := s.newUser(t, "GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES ON "+db+".* TO USER", "GRANT SELECT ON mysql.proc TO USER")
	noProc, npw := s.newUser(t, "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON "+db+".* TO USER")
	stranger, spw := s.newUser(t)
	admin, apw := s.newUser(t, "GRANT ALL ON *.* TO USER")
	cases := []struct {
		name     string
		settings mysql.Settings
		secret   string
		code     arca.Code
		contains []string
		probeOK  bool // the probe passes; the backup fails
	}{
		{name: "ok", settings: mysql.Settings{URL: s.url(user, db)}, secret: pw},
		{name: "stopped server", settings: mysql.Settings{URL: "mysql://arca@127.0.0.1:1/" + db}, secret: pw, code: arca.CodeUnavailable,
			contains: []string{`source "shop-mysql"`, "127.0.0.1:1", "start the server"}},
		{name: "wrong password", settings: mysql.Settings{URL: s.url(user, db)}, secret: pw + "x", code: arca.CodeUnauthenticated,
			contains: []string{`source "shop-mysql"`, user, "password"}},
		{name: "no access to the database", settings: mysql.Settings{URL: s.url(stranger, db)}, secret: spw, code: arca.CodePermissionDenied,
			contains: []string{`source "shop-mysql"`, stranger, "grant"}},
		{name: "no EVENT privilege", settings: mysql.Settings{URL: s.url(user, db)}, secret: pw, code: arca.CodePermissionDenied,
			contains: []string{`source "shop-mysql"`, "grant"}, probeOK: true},
		{name: "no SELECT on mysql.proc", settings: mysql.Settings{URL: s.url(noProc, db)}, secret: npw, code: arca.CodePermissionDenied,
			contains: []string{`source "shop-mysql"`, noProc, "GRANT SELECT ON mysql.proc"}},
		{name: "no such database", settings: mysql.Settings{URL: s.url(admin, "arca_no_such_db")}, secret: apw, code: arca.CodeInvalidArgument,
			contains: []string{"arca_no_such_db"}},
		{name: "missing tools", settings: mysql.Settings{URL: s.url(user, db), BinDir: "/nonexistent/bin"}, secret: pw, code: arca.CodeUnavailable,
			contains: []string{"/nonexistent/bin", "install"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := config(t, tc.settings, tc.secret)
			probeCode := tc.code
			if tc.probeOK {
				probeCode = ""
			}
			start := time.Now()
			err := mysql.New().Probe(context.Background(), c)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Probe took %v, want fast", d)
			}
			check(t, "Probe", err, probeCode, tc.contains, tc.secret)
			if tc.code == "" {
				return
			}
			sink := &sourcetest.Sink{}
			_, err = mysql.New().Backup(context.Background(), c, source.BackupOptions{}, sink)
			check(t, "Backup", err, tc.code, tc.contains, tc.secret)
		})
	}
}

func check(t *testing.T, what string, err error, code arca.Code, contains []string, secret string) {
	t.Helper()
	if got := arca.ErrorCode(err); got != code {
		t.Fatalf("%s: code = %q (%v), want %q", what, got, err, code)
	}
	if err == nil {
		return
	}
	for _, s := range contains {
		if !strings.Contains(arca.ErrorMessage(err), s) {
			t.Errorf("%s: message %q lacks %q", what, arca.ErrorMessage(err), s)
		}
	}
	if secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("%s: the password is in the error: %v", what, err)
	}
}

func TestRestoreTargets(t *testing.T) {
	t.Parallel() // after the conformance checks, which watch this process's children alone
	s := testServer(t)
	db := s.database(t, "arca_tg_")
	s.exec(t, db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)")
	c := config(t, mysql.Settings{URL: s.url(s.user, db)}, s.password)
	sink := &sourcetest.Sink{}
	meta, err := mysql.New().Backup(context.Background(), c, source.BackupOptions{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mysql.New().Restore(context.Background(), c, sink.Reader(meta), nil); arca.ErrorCode(err) != arca.CodeInvalidArgument {
		t.Errorf("restore without target = %v, want INVALID_ARGUMENT", err)
	}
	_, err = mysql.New().Restore(context.Background(), c, sink.Reader(meta), json.RawMessage(`{"database": "`+db+`"}`))
	if arca.ErrorCode(err) != arca.CodeAlreadyExists || !strings.Contains(arca.ErrorMessage(err), "target.options.clean") {
		t.Errorf("restore over an existing database = %v, want ALREADY_EXISTS naming target.options.clean", err)
	}
	s.exec(t, db, "INSERT INTO t VALUES (3)")
	if _, err := mysql.New().Restore(context.Background(), c, sink.Reader(meta), json.RawMessage(`{"database": "`+db+`", "clean": true}`)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"2"}}, s.exec(t, db, "SELECT COUNT(*) FROM t")); diff != "" {
		t.Errorf("rows after a clean restore (-want +got):\n%s", diff)
	}
}

// TestAllDatabases dumps every database in one stream; restoring it needs
// target.clean (it replaces databases of the same names), so only a
// restore without it is tried here, on a server other tests share.
func TestAllDatabases(t *testing.T) {
	s := testServer(t)
	db := s.database(t, "arca_all_")
	s.exec(t, db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (7)")
	admin, apw := s.newUser(t, "GRANT ALL ON *.* TO USER")
	c := config(t, mysql.Settings{URL: "mysql://" + admin + "@" + s.host + ":" + s.port, Mode: mysql.ModeAll}, apw)
	sink := &sourcetest.Sink{}
	meta, err := mysql.New().Backup(context.Background(), c, source.BackupOptions{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"all-databases.sql"}, sink.Names()); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	dump := string(sink.Data("all-databases.sql"))
	for _, want := range []string{"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `" + db + "`", "INSERT INTO `t` VALUES"} {
		if !strings.Contains(dump, want) {
			t.Errorf("the dump lacks %q", want)
		}
	}
	if meta["mode"] != "all" || !strings.Contains(meta["databases"], `"name":"`+db+`"`) || strings.Contains(meta["databases"], "information_schema") {
		t.Errorf("meta = %v", meta)
	}
	_, err = mysql.New().Restore(context.Background(), c, sink.Reader(meta), nil)
	if arca.ErrorCode(err) != arca.CodeInvalidArgument || !strings.Contains(arca.ErrorMessage(err), "target.options.clean") {
		t.Errorf("restore of all databases without clean = %v, want INVALID_ARGUMENT naming target.options.clean", err)
	}
}
