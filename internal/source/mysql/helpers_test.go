package mysql_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/testenv"
)

// server is the test server, reached as its administrator.
type server struct {
	host, port, user, password string
}

func testServer(t testing.TB) server {
	t.Helper()
	u, err := url.Parse(testenv.MySQLURL(t))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	return server{host: u.Hostname(), port: u.Port(), user: u.User.Username(), password: pw}
}

// client returns a mariadb client command for the administrator.
func (s server) client(ctx context.Context, db string, args ...string) *exec.Cmd {
	a := []string{"--no-defaults", "--protocol=TCP", "-h", s.host, "-P", s.port, "-u", s.user, "--batch", "--skip-column-names"}
	if db != "" {
		a = append(a, "--database="+db)
	}
	cmd := exec.CommandContext(ctx, "mariadb", append(a, args...)...)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+s.password)
	return cmd
}

// exec runs SQL as the administrator and returns its rows.
func (s server) exec(t testing.TB, db, sql string) [][]string {
	t.Helper()
	out, err := s.client(context.Background(), db, "-e", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", sql, err, out)
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}

func (s server) url(user, db string) string {
	return "mysql://" + user + "@" + s.host + ":" + s.port + "/" + db
}

func randName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// database creates an empty database, dropped when t ends.
func (s server) database(t testing.TB, prefix string) string {
	t.Helper()
	name := randName(prefix)
	s.exec(t, "", "CREATE DATABASE "+name)
	s.dropAtEnd(t, name)
	return name
}

func (s server) dropAtEnd(t testing.TB, db string) {
	t.Cleanup(func() { s.exec(t, "", "DROP DATABASE IF EXISTS "+db) })
}

// user creates a user with a password and the grants, dropped when t
// ends.
func (s server) newUser(t testing.TB, grants ...string) (user, password string) {
	t.Helper()
	user, password = randName("arca_u_"), randName("Pw'\"-")
	s.exec(t, "", "CREATE USER '"+user+"'@'127.0.0.1' IDENTIFIED BY '"+strings.ReplaceAll(strings.ReplaceAll(password, `\`, `\\`), `'`, `\'`)+"'")
	t.Cleanup(func() { s.exec(t, "", "DROP USER IF EXISTS '"+user+"'@'127.0.0.1'") })
	for _, g := range grants {
		s.exec(t, "", strings.ReplaceAll(g, "USER", "'"+user+"'@'127.0.0.1'"))
	}
	return user, password
}

func config(t testing.TB, settings any, secret string) source.Config {
	t.Helper()
	b, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	return source.Config{Source: arca.Source{ID: "src-my", Name: "shop-mysql", Kind: arca.SourceMySQL, Settings: b}, Secret: secret}
}
