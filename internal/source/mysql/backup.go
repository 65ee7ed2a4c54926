package mysql

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/child"
)

// server is what a backup learns before dumping.
type server struct {
	Version   string
	Engine    string // "mariadb" or "mysql"
	Databases []dbSize
}

type dbSize struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// systemSchemas are left out of the sizes of an all-databases backup
// (mysqldump leaves out the first two too).
const systemSchemas = "'information_schema', 'performance_schema', 'sys'"

// inspect connects with the client (so a bad address, password or grant
// fails here, fast and classified) and reads the version and the sizes.
func (s *session) inspect(ctx context.Context) (server, error) {
	where := "table_schema = DATABASE()"
	if s.p.Mode == ModeAll {
		where = "table_schema NOT IN (" + systemSchemas + ")"
	}
	rows, err := s.query(ctx, s.p.conn.Database, "SELECT VERSION(), @@version_comment;\n"+
		"SELECT schema_name, COALESCE((SELECT SUM(data_length + index_length) FROM information_schema.TABLES t WHERE t.table_schema = s.schema_name), 0)"+
		" FROM information_schema.SCHEMATA s WHERE "+strings.ReplaceAll(where, "table_schema", "schema_name")+" ORDER BY schema_name")
	if err != nil {
		return server{}, err
	}
	var sv server
	if len(rows) > 0 && len(rows[0]) >= 2 {
		sv.Version, sv.Engine = rows[0][0], "mysql"
		if strings.Contains(strings.ToLower(rows[0][0]+rows[0][1]), "mariadb") {
			sv.Engine = "mariadb"
		}
		rows = rows[1:]
	}
	for _, r := range rows {
		if len(r) == 2 {
			n, _ := strconv.ParseInt(r[1], 10, 64)
			sv.Databases = append(sv.Databases, dbSize{Name: r[0], Size: n})
		}
	}
	if sv.Engine == "mariadb" {
		if err := s.checkRoutines(ctx); err != nil {
			return sv, err
		}
	}
	return sv, nil
}

// checkRoutines makes sure the user may read mysql.proc: without it,
// MariaDB shows mysqldump only the routines the user defined, and the
// dump silently leaves out the others.
func (s *session) checkRoutines(ctx context.Context) error {
	err := child.Run(ctx, child.Spec{Path: s.tools.Client, Args: []string{"--defaults-file=" + s.opts, "--batch",
		"-e", "SELECT 1 FROM mysql.proc LIMIT 0"}}, nil)
	var ee *child.ExitError
	if err == nil || !errors.As(err, &ee) {
		return err
	}
	if m := errorCodeRE.FindStringSubmatch(ee.Stderr); m != nil && m[1] == "1142" {
		return arca.Errorf(arca.CodePermissionDenied,
			"User %q of %s may not read mysql.proc, so MariaDB would leave the routines of other users out of the dump: GRANT SELECT ON mysql.proc TO the user.",
			s.p.conn.User, s.c.Name())
	}
	return nil // no mysql.proc (a newer server): nothing to check
}

// Probe checks the server is reachable, the password accepted, the
// database there and readable, and the tools present.
func (Driver) Probe(ctx context.Context, c source.Config) error {
	p, err := parse(c.Source.Settings)
	if err != nil {
		return err
	}
	s, err := open(c, p)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.inspect(ctx)
	return err
}

// dumpArgs are the options of every dump: one consistent InnoDB snapshot
// (--single-transaction), the routines, events and triggers, rows read one
// at a time (--quick), no date in the output (so that a dump of unchanged
// data is the same bytes, which the repository deduplicates), and no
// tablespaces (which would need the PROCESS privilege).
var dumpArgs = []string{"--single-transaction", "--routines", "--events", "--triggers", "--quick",
	"--skip-dump-date", "--hex-blob", "--no-tablespaces", "--default-character-set=utf8mb4"}

// Backup dumps the database into one stream "<db>.sql", or every
// database into "all-databases.sql".
func (Driver) Backup(ctx context.Context, c source.Config, opts source.BackupOptions, sink source.Sink) (source.Meta, error) {
	p, err := parse(c.Source.Settings)
	if err != nil {
		return nil, err
	}
	s, err := open(c, p)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	sv, err := s.inspect(ctx)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, d := range sv.Databases {
		total += d.Size
	}
	sink.Expect(total)
	args := append([]string{"--defaults-file=" + s.opts}, dumpArgs...)
	name := streamName(p.conn.Database)
	if p.Mode == ModeAll {
		args, name = append(args, "--all-databases"), allName
	} else {
		args = append(args, "--", p.conn.Database)
	}
	err = child.Run(ctx, child.Spec{Path: s.tools.Dump, Args: args}, func(r io.Reader) error { return sink.Stream(ctx, name, r) })
	if err != nil {
		return nil, s.toolError(err)
	}
	m := source.Meta{"engine": sv.Engine, "server_version": sv.Version, "mode": p.Mode, "tool_version": s.tools.version(ctx)}
	if err := m.SetJSON("databases", sv.Databases); err != nil {
		return nil, err
	}
	return m, nil
}
