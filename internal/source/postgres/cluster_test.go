package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/postgres"
	"github.com/arcabackup/arca/internal/source/sourcetest"
)

// TestClusterBackupAndRestore dumps two databases of the cluster and its
// globals, drops a role the globals hold, and restores everything under a
// prefix: the role is back and both databases hold their rows.
func TestClusterBackupAndRestore(t *testing.T) {
	t.Parallel() // after the conformance checks, which watch this process's children alone
	admin := adminURL(t)
	role := randName("arca_cl_")
	sqlExec(t, admin, "CREATE ROLE "+role+" NOLOGIN")
	t.Cleanup(func() { sqlExec(t, admin, "DROP ROLE IF EXISTS "+role) })
	a, b := newDatabase(t, admin, "arca_cla_"), newDatabase(t, admin, "arca_clb_")
	sqlExec(t, urlFor(t, admin, "", a), "CREATE TABLE t (id int PRIMARY KEY, v text)", "INSERT INTO t SELECT g, 'a' || g FROM generate_series(1, 3000) g")
	sqlExec(t, urlFor(t, admin, "", b), "CREATE TABLE u (id int PRIMARY KEY)", "INSERT INTO u SELECT generate_series(1, 77)")

	c := config(t, postgres.Settings{URL: urlFor(t, admin, "", "postgres"), Mode: postgres.ModeCluster, Databases: []string{b, a}}, "")
	sink := &sourcetest.Sink{}
	meta, err := postgres.New().Backup(context.Background(), c, source.BackupOptions{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"globals.sql", a + ".pgdump", b + ".pgdump"}
	if diff := cmp.Diff(wantNames, sink.Names()); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	if !bytes.Contains(sink.Data("globals.sql"), []byte("CREATE ROLE "+role)) {
		t.Errorf("globals.sql does not create role %s", role)
	}
	if meta["mode"] != "cluster" || !strings.Contains(meta["databases"], `"name":"`+a+`"`) || !strings.Contains(meta["databases"], `"name":"`+b+`"`) {
		t.Errorf("meta = %v", meta)
	}

	sqlExec(t, admin, "DROP ROLE "+role)
	prefix := randName("r") + "_"
	dropDatabaseAtEnd(t, admin, prefix+a)
	dropDatabaseAtEnd(t, admin, prefix+b)
	res, err := postgres.New().Restore(context.Background(), c, sink.Reader(meta), json.RawMessage(`{"database_prefix": "`+prefix+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var roles, ta, ub int
	queryRow(t, admin, "SELECT count(*) FROM pg_roles WHERE rolname = '"+role+"'", &roles)
	queryRow(t, urlFor(t, admin, "", prefix+a), "SELECT count(*) FROM t WHERE v = 'a' || id", &ta)
	queryRow(t, urlFor(t, admin, "", prefix+b), "SELECT count(*) FROM u", &ub)
	if diff := cmp.Diff([]int{1, 3000, 77}, []int{roles, ta, ub}); diff != "" {
		t.Errorf("role, rows of %s, rows of %s after the restore (-want +got):\n%s", a, b, diff)
	}
	if diff := cmp.Diff(map[string]string{"globals": res.Details["globals"], a: prefix + a, b: prefix + b}, res.Details); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
}

func TestClusterUnknownDatabase(t *testing.T) {
	admin := adminURL(t)
	c := config(t, postgres.Settings{URL: admin, Mode: postgres.ModeCluster, Databases: []string{"arca_no_such_db"}}, "")
	err := postgres.New().Probe(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "settings.databases") {
		t.Errorf("Probe = %v, want an error naming settings.databases", err)
	}
}
