package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/testenv"
)

// mysqlFixture makes a database with rows and returns the source URL (no
// password), the password and a function running SQL in it.
func mysqlFixture(t *testing.T) (sourceURL, password, db string, run func(db, q string) string) {
	t.Helper()
	u, err := url.Parse(testenv.MySQLURL(t))
	if err != nil {
		t.Fatal(err)
	}
	password, _ = u.User.Password()
	run = func(db, q string) string {
		args := []string{"--no-defaults", "--protocol=TCP", "-h", u.Hostname(), "-P", u.Port(), "-u", u.User.Username(), "--batch", "--skip-column-names", "-e", q}
		if db != "" {
			args = append(args, "--database="+db)
		}
		cmd := exec.Command("mariadb", args...)
		cmd.Env = append(os.Environ(), "MYSQL_PWD="+password)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", q, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	db = "arca_e2e_" + randHex(5)
	run("", "CREATE DATABASE "+db)
	t.Cleanup(func() { run("", "DROP DATABASE IF EXISTS "+db); run("", "DROP DATABASE IF EXISTS "+db+"_copy") })
	run(db, "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40)); INSERT INTO t (v) VALUES ('a'),('b'),('c')")
	return "mysql://" + u.User.Username() + "@" + u.Host + "/" + db, password, db, run
}

func sqliteFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes (body) VALUES ('one'), ('two')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func createSource(t *testing.T, w *backupWorld, name, kind string, settings any, secret string) serverapi.Source {
	t.Helper()
	b, _ := json.Marshal(settings)
	src, err := w.c.CreateSource(context.Background(), serverapi.SourceCreate{Name: name, Kind: kind, RepositoryID: w.repo.ID, Settings: b, Secret: secret})
	if err != nil {
		t.Fatalf("create %s source: %v", kind, err)
	}
	return src
}

func TestMixedBatchAllKinds(t *testing.T) {
	pgURL, pgPassword, _, _ := pgFixture(t)
	myURL, myPassword, myDB, myRun := mysqlFixture(t)
	litePath := sqliteFixture(t)
	w := newBackupWorld(t, true) // the repository on S3
	ctx := context.Background()
	ids := []string{
		w.fsSource(t, "files", randomFiles(4, 2, 1000)).ID,
		createSource(t, w, "pg", "postgres", map[string]any{"url": pgURL}, pgPassword).ID,
		createSource(t, w, "my", "mysql", map[string]any{"url": myURL}, myPassword).ID,
		createSource(t, w, "lite", "sqlite", map[string]any{"path": litePath}, "").ID,
	}
	acc, err := w.c.BackupBatch(ctx, serverapi.BatchBackupRequest{SourceIDs: ids, Tags: []string{"mixed"}})
	if err != nil {
		t.Fatal(err)
	}
	if parent := w.wait(t, acc.Task.ID); parent.State != "succeeded" {
		for _, j := range acc.Jobs {
			t.Logf("job %s: %+v", j.SourceID, w.wait(t, j.TaskID).Error)
		}
		t.Fatalf("mixed batch ended %s", parent.State)
	}
	snaps := map[string]serverapi.BackupResult{}
	for i, kind := range []string{"fs", "postgres", "mysql", "sqlite"} {
		snaps[kind] = backupResult(t, w.wait(t, acc.Jobs[i].TaskID))
	}

	// MySQL into a new database.
	opts, _ := json.Marshal(map[string]any{"database": myDB + "_copy"})
	racc, err := w.c.Restore(ctx, serverapi.RestoreRequest{SnapshotID: snaps["mysql"].SnapshotID, Target: serverapi.RestoreTarget{Options: opts}})
	if err != nil {
		t.Fatal(err)
	}
	if task := w.wait(t, racc.Task.ID); task.State != "succeeded" {
		t.Fatalf("mysql restore ended %s: %+v", task.State, task.Error)
	}
	if got := myRun(myDB+"_copy", "SELECT GROUP_CONCAT(v ORDER BY id) FROM t"); got != "a,b,c" {
		t.Errorf("restored mysql rows = %q, want a,b,c", got)
	}

	// SQLite to a file under a restore root; anywhere else is refused.
	target := filepath.Join(w.restores, "app-copy.db")
	opts, _ = json.Marshal(map[string]any{"path": target})
	racc, err = w.c.Restore(ctx, serverapi.RestoreRequest{SnapshotID: snaps["sqlite"].SnapshotID, Target: serverapi.RestoreTarget{Options: opts}})
	if err != nil {
		t.Fatal(err)
	}
	if task := w.wait(t, racc.Task.ID); task.State != "succeeded" {
		t.Fatalf("sqlite restore ended %s: %+v", task.State, task.Error)
	}
	db, err := sql.Open("sqlite", target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM notes").Scan(&n); err != nil || n != 2 {
		t.Errorf("restored sqlite: %d rows, %v", n, err)
	}
	outside, _ := json.Marshal(map[string]any{"path": filepath.Join(t.TempDir(), "evil.db")})
	_, err = w.c.Restore(ctx, serverapi.RestoreRequest{SnapshotID: snaps["sqlite"].SnapshotID, Target: serverapi.RestoreTarget{Options: outside}})
	wantCode(t, "sqlite restore outside the restore roots", err, arca.CodeInvalidArgument)
	for _, pw := range []string{pgPassword, myPassword} {
		if strings.Contains(w.ts.Stderr.String(), pw) {
			t.Error("a database password appears in the server's log")
		}
	}
}

func TestCommandSourcesNeedPermission(t *testing.T) {
	restores := t.TempDir()
	ts := startServer(t, serverSetup{args: []string{"--restore-root", restores}})
	w := &backupWorld{ts: ts, c: ts.Client, restores: restores}
	acc, err := w.c.CreateRepository(context.Background(), serverapi.RepositoryCreate{Name: "r", Kind: "local", Path: filepath.Join(t.TempDir(), "repo"), Password: "pw-cmd"})
	if err != nil {
		t.Fatal(err)
	}
	w.wait(t, acc.Task.ID)
	settings, _ := json.Marshal(map[string]any{"command": []string{"id"}})
	_, err = w.c.CreateSource(context.Background(), serverapi.SourceCreate{Name: "cmd", Kind: "command", RepositoryID: acc.Repository.ID, Settings: settings, SkipProbe: true})
	wantCode(t, "command source without --allow-command-sources", err, arca.CodeInvalidArgument)
	if err == nil || !strings.Contains(err.Error(), "--allow-command-sources") {
		t.Errorf("the refusal does not say how to allow it: %v", err)
	}
}
