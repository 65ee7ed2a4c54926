package mysql

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/child"
)

// tools are the dump tool and the client.
type tools struct {
	Dump   string // path of mariadb-dump or mysqldump
	Client string // path of mariadb or mysql
}

// version returns the dump tool's --version line, such as
// "mariadb-dump from 11.4.2-MariaDB, client 10.19 for debian-linux-gnu".
func (t tools) version(ctx context.Context) string {
	var out strings.Builder
	if err := child.Run(ctx, child.Spec{Path: t.Dump, Args: []string{"--version"}, Stdout: &out}, nil); err != nil {
		return ""
	}
	v := strings.TrimSpace(out.String())
	if i := strings.Index(v, " Ver "); i >= 0 { // "/usr/bin/mariadb-dump  Ver 10.19 Distrib ..."
		v = filepath.Base(strings.TrimSpace(v[:i])) + v[i:]
	}
	return strings.Join(strings.Fields(v), " ")
}

// findTools looks for the MariaDB names first, then MySQL's.
func findTools(c source.Config, p parsed) (tools, error) {
	find := func(names ...string) string {
		for _, n := range names {
			if p.BinDir != "" {
				n = filepath.Join(p.BinDir, n)
			}
			if path, err := exec.LookPath(n); err == nil {
				return path
			}
		}
		return ""
	}
	t := tools{Dump: find("mariadb-dump", "mysqldump"), Client: find("mariadb", "mysql")}
	if t.Dump == "" || t.Client == "" {
		where := "on PATH"
		if p.BinDir != "" {
			where = "in settings.bin_dir " + p.BinDir
		}
		return t, arca.Errorf(arca.CodeUnavailable,
			"No mariadb-dump/mysqldump and mariadb/mysql client were found %s for %s: install the client tools (mariadb-client or mysql-client) on the Arca server, or set settings.bin_dir.",
			where, c.Name())
	}
	return t, nil
}

// session runs the tools of one operation with the secret in an option
// file; close it when done.
type session struct {
	c     source.Config
	p     parsed
	tools tools
	dir   *child.PrivateDir
	opts  string // the option file
}

func open(c source.Config, p parsed) (*session, error) {
	t, err := findTools(c, p)
	if err != nil {
		return nil, err
	}
	dir, err := child.NewPrivateDir()
	if err != nil {
		return nil, err
	}
	content := fmt.Sprintf("[client]\nuser=%s\nhost=%s\nport=%d\nprotocol=TCP\n",
		optionValue(p.conn.User), optionValue(p.conn.Host), p.conn.Port)
	if c.Secret != "" {
		content += "password=" + optionValue(c.Secret) + "\n"
	}
	// Only the client knows a connect timeout; it connects first, so an
	// unreachable server fails there, fast.
	content += "[mysql]\nconnect-timeout=10\n"
	opts, err := dir.WriteFile("client.cnf", content)
	if err != nil {
		_ = dir.Remove()
		return nil, err
	}
	return &session{c: c, p: p, tools: t, dir: dir, opts: opts}, nil
}

func (s *session) Close() { _ = s.dir.Remove() }

// optionValue quotes v for an option file.
func optionValue(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}

// query runs SQL with the client and returns the rows, tab-separated.
func (s *session) query(ctx context.Context, db, sql string) ([][]string, error) {
	args := []string{"--defaults-file=" + s.opts, "--batch", "--skip-column-names", "--raw", "-e", sql}
	if db != "" {
		args = append(args, "--database="+db)
	}
	var out strings.Builder
	if err := child.Run(ctx, child.Spec{Path: s.tools.Client, Args: args, Stdout: &out}, nil); err != nil {
		return nil, s.toolError(err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows, nil
}

var errorCodeRE = regexp.MustCompile(`(?:ERROR |[Ee]rror:? |\()(\d{4})\b`)

// toolError turns a failed tool into the error a user sees, by the
// server's or client's error number in its standard error.
func (s *session) toolError(err error) error {
	var ee *child.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	prog := filepath.Base(ee.Program)
	if ee.NotFound() {
		return &arca.Error{Code: arca.CodeUnavailable, Err: err,
			Message: fmt.Sprintf("%s cannot be run for %s (%v): install the MariaDB or MySQL client tools, or fix settings.bin_dir.", prog, s.c.Name(), ee.Err)}
	}
	tail := s.c.Scrub(ee.Stderr)
	last := child.LastLine(tail)
	where := fmt.Sprintf("%s:%d", s.p.conn.Host, s.p.conn.Port)
	cause := fmt.Errorf("%s", s.c.Scrub(err.Error()))
	number := 0
	if m := errorCodeRE.FindStringSubmatch(tail); m != nil {
		number, _ = strconv.Atoi(m[1])
	}
	switch number {
	case 1045, 1698:
		return &arca.Error{Code: arca.CodeUnauthenticated, Err: cause,
			Message: fmt.Sprintf("The server at %s rejected the login of user %q for %s (%s): fix the source's password or settings.url.", where, s.p.conn.User, s.c.Name(), last)}
	case 2002, 2003, 2005, 2006, 2013:
		return &arca.Error{Code: arca.CodeUnavailable, Err: cause,
			Message: fmt.Sprintf("Cannot reach the MySQL server at %s for %s (%s): start the server, or fix settings.url.", where, s.c.Name(), last)}
	case 1044, 1142, 1143, 1227, 1370:
		return &arca.Error{Code: arca.CodePermissionDenied, Err: cause,
			Message: fmt.Sprintf("User %q of %s lacks a privilege (%s): grant it (a backup needs SELECT, SHOW VIEW, TRIGGER, EVENT and LOCK TABLES on the database; restoring views, triggers and routines defined by another user needs SET USER).", s.p.conn.User, s.c.Name(), last)}
	case 1049:
		return &arca.Error{Code: arca.CodeInvalidArgument, Err: cause,
			Message: fmt.Sprintf("The server at %s has no database %q (%s): fix settings.url.", where, s.p.conn.Database, s.c.Name()),
			Fields:  []arca.FieldError{{Field: "settings.url", Message: "the database does not exist"}}}
	case 1007:
		return &arca.Error{Code: arca.CodeAlreadyExists, Err: cause,
			Message: fmt.Sprintf("The database exists already on the server of %s (%s): choose another target.options.database, or set target.options.clean.", s.c.Name(), last)}
	}
	return &arca.Error{Code: arca.CodeUnavailable, Err: cause,
		Message: fmt.Sprintf("%s of %s failed with exit status %d: %s", prog, s.c.Name(), ee.Code, last)}
}

// quoteIdent quotes a database name for SQL.
func quoteIdent(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }
