package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/testenv"
)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func pgExec(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func pgCount(t *testing.T, dsn, q string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func withUserDB(t *testing.T, admin, user, db string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		u.User = url.User(user)
	}
	u.Path = "/" + db
	return u.String()
}

// pgFixture makes a database with rows, owned by a role that logs in with
// a password, and returns the source settings URL (no password in it),
// the password and the admin URL of the database.
func pgFixture(t *testing.T) (sourceURL, password, dbURL, db string) {
	t.Helper()
	admin := testenv.PostgresURL(t)
	db, user := "arca_e2e_"+randHex(5), "arca_pw_"+randHex(5)
	password = "Pw-" + randHex(12)
	pgExec(t, admin, "CREATE ROLE "+user+" LOGIN CREATEDB PASSWORD '"+password+"' IN ROLE arca_password_auth", "CREATE DATABASE "+db+" OWNER "+user)
	t.Cleanup(func() {
		pgExec(t, admin, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)", "DROP DATABASE IF EXISTS "+db+"_copy WITH (FORCE)", "DROP ROLE IF EXISTS "+user)
	})
	dbURL = withUserDB(t, admin, "", db)
	pgExec(t, dbURL, "CREATE TABLE items (id serial PRIMARY KEY, name text)",
		"INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 5000) g", "ALTER TABLE items OWNER TO "+user)
	return withUserDB(t, admin, user, db), password, dbURL, db
}

func TestMixedBatchAndDatabaseRestore(t *testing.T) {
	pgURL, pgPassword, dbURL, db := pgFixture(t)
	w := newBackupWorld(t, false)
	ctx := context.Background()
	files := randomFiles(9, 3, 2000)
	fsSrc := w.fsSource(t, "files", files)
	settings, _ := json.Marshal(map[string]any{"url": pgURL})
	pgSrc, err := w.c.CreateSource(ctx, serverapi.SourceCreate{Name: "shop-db", Kind: "postgres", RepositoryID: w.repo.ID, Settings: settings, Secret: pgPassword})
	if err != nil {
		t.Fatalf("create postgres source: %v", err)
	}
	cmdSrc := w.commandSource(t, "export", "printf 'exported data\\n'")

	acc, err := w.c.BackupBatch(ctx, serverapi.BatchBackupRequest{SourceIDs: []string{fsSrc.ID, pgSrc.ID, cmdSrc.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if parent := w.wait(t, acc.Task.ID); parent.State != "succeeded" {
		for _, j := range acc.Jobs {
			t.Logf("job %s: %+v", j.SourceID, w.wait(t, j.TaskID).Error)
		}
		t.Fatalf("mixed batch ended %s", parent.State)
	}
	pgSnap := backupResult(t, w.wait(t, acc.Jobs[1].TaskID))
	if pgSnap.Labels["engine"] != "postgresql" || pgSnap.Labels["server_version"] == "" {
		t.Errorf("postgres snapshot labels: %v", pgSnap.Labels)
	}
	w.checkRestore(t, backupResult(t, w.wait(t, acc.Jobs[0].TaskID)).SnapshotID, "files", files)

	// Restore the database into a new one and compare.
	pgExec(t, dbURL, "INSERT INTO items (name) VALUES ('after the backup')")
	opts, _ := json.Marshal(map[string]any{"database": db + "_copy"})
	racc, err := w.c.Restore(ctx, serverapi.RestoreRequest{SnapshotID: pgSnap.SnapshotID, Target: serverapi.RestoreTarget{Options: opts}})
	if err != nil {
		t.Fatal(err)
	}
	if task := w.wait(t, racc.Task.ID); task.State != "succeeded" {
		t.Fatalf("database restore ended %s: %+v", task.State, task.Error)
	}
	if n := pgCount(t, withUserDB(t, testenv.PostgresURL(t), "", db+"_copy"), "SELECT count(*) FROM items"); n != 5000 {
		t.Errorf("restored database has %d rows, want the 5000 of backup time", n)
	}

	// The password is in no output of the server and in no task record.
	if strings.Contains(w.ts.Stderr.String(), pgPassword) {
		t.Error("the database password appears in the server's log")
	}
	for _, id := range []string{acc.Task.ID, acc.Jobs[1].TaskID, racc.Task.ID} {
		task, _ := w.c.GetTask(ctx, id, 0)
		if b, _ := json.Marshal(task); bytes.Contains(b, []byte(pgPassword)) {
			t.Errorf("task %s shows the password", id)
		}
	}
	src, _ := w.c.GetSource(ctx, pgSrc.ID)
	if b, _ := json.Marshal(src); bytes.Contains(b, []byte(pgPassword)) || !src.HasSecret {
		t.Errorf("the source shows its password, or does not say it has one: %s", b)
	}
	catalogFiles, _ := filepath.Glob(filepath.Join(w.ts.Data, "catalog.db*"))
	for _, f := range catalogFiles {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(pgPassword)) {
			t.Errorf("the catalog file %s holds the password in clear", filepath.Base(f))
		}
	}
}

func TestDatabaseSourceErrors(t *testing.T) {
	pgURL, pgPassword, _, _ := pgFixture(t)
	w := newBackupWorld(t, false)
	ctx := context.Background()
	settings, _ := json.Marshal(map[string]any{"url": pgURL})
	_, err := w.c.CreateSource(ctx, serverapi.SourceCreate{Name: "bad-pw", Kind: "postgres", RepositoryID: w.repo.ID, Settings: settings, Secret: "wrong-" + pgPassword})
	wantCode(t, "wrong database password at creation", err, arca.CodeInvalidArgument)
	if !strings.Contains(err.Error(), "bad-pw") {
		t.Errorf("the error does not name the source: %v", err)
	}

	// Stored anyway, a backup fails with UNAUTHENTICATED naming the source.
	src, err := w.c.CreateSource(ctx, serverapi.SourceCreate{Name: "bad-pw", Kind: "postgres", RepositoryID: w.repo.ID, Settings: settings, Secret: "wrong-" + pgPassword, SkipProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := w.c.BackupSource(ctx, src.ID, serverapi.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	task := w.wait(t, acc.Task.ID)
	if task.State != "failed" || task.Error == nil || task.Error.Code != string(arca.CodeUnauthenticated) || !strings.Contains(task.Error.Message, "bad-pw") {
		t.Errorf("backup with a wrong password: %s %+v", task.State, task.Error)
	}

	// A stopped (here: absent) server fails fast with UNAVAILABLE.
	down, _ := json.Marshal(map[string]any{"url": "postgres://arca@127.0.0.1:1/postgres"})
	_, err = w.c.CreateSource(ctx, serverapi.SourceCreate{Name: "down", Kind: "postgres", RepositoryID: w.repo.ID, Settings: down})
	wantCode(t, "unreachable database at creation", err, arca.CodeUnavailable)
}
