package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/testenv"
)

func randName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// urlFor returns the admin URL with another user and database.
func urlFor(t testing.TB, admin, user, db string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		u.User = url.User(user)
	}
	if db != "" {
		u.Path = "/" + db
	}
	return u.String()
}

func sqlExec(t testing.TB, dsn string, stmts ...string) {
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

func queryRow(t testing.TB, dsn, q string, dest ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, q).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// newDatabase creates an empty database, dropped when t ends, and returns
// its name.
func newDatabase(t testing.TB, admin, prefix string) string {
	t.Helper()
	name := randName(prefix)
	sqlExec(t, admin, "CREATE DATABASE "+name)
	dropDatabaseAtEnd(t, admin, name)
	return name
}

func dropDatabaseAtEnd(t testing.TB, admin, name string) {
	t.Cleanup(func() { sqlExec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
}

// passwordRole creates a role that logs in with a password (services.sh
// makes members of arca_password_auth use scram), dropped when t ends.
func passwordRole(t testing.TB, admin string, grants ...string) (user, password string) {
	t.Helper()
	user, password = randName("arca_pw_"), randName("Pw-")
	sqlExec(t, admin, "CREATE ROLE "+user+" LOGIN PASSWORD '"+password+"' IN ROLE arca_password_auth")
	t.Cleanup(func() { sqlExec(t, admin, "DROP ROLE IF EXISTS "+user) })
	return user, password
}

func config(t testing.TB, settings any, secret string) source.Config {
	t.Helper()
	b, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	return source.Config{Source: arca.Source{ID: "src-pg", Name: "shop-db", Kind: arca.SourcePostgres, Settings: b}, Secret: secret}
}

func adminURL(t testing.TB) string { return testenv.PostgresURL(t) }
