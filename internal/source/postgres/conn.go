package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// connectTimeout bounds connecting, so that an unreachable host fails fast.
const connectTimeout = 10 * time.Second

// connect opens a connection to database db of the source (the URL's own
// when db is ""), with the secret as the password.
func connect(ctx context.Context, c source.Config, s Settings, db string) (*pgx.Conn, error) {
	raw := s.URL
	if db != "" {
		raw = withDatabase(raw, db)
	}
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return nil, &arca.Error{Code: arca.CodeInvalidArgument, Message: fmt.Sprintf("The URL of %s is not valid: fix settings.url.", c.Name()),
			Fields: []arca.FieldError{{Field: "settings.url", Message: "not a valid connection URL"}}}
	}
	cfg.Password = c.Secret
	cfg.ConnectTimeout = connectTimeout
	cfg.RuntimeParams["application_name"] = "arca"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(ctx, c, cfg, err)
	}
	return conn, nil
}

// connectError says why connecting failed, as the arca.Error a user sees.
func connectError(ctx context.Context, c source.Config, cfg *pgx.ConnConfig, err error) error {
	where := fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "28P01" || pgErr.Code == "28000":
			return &arca.Error{Code: arca.CodeUnauthenticated, Err: err,
				Message: fmt.Sprintf("PostgreSQL at %s rejected the login of user %q for %s (%s): fix the source's password or settings.url.", where, cfg.User, c.Name(), pgErr.Message)}
		case pgErr.Code == "3D000":
			return &arca.Error{Code: arca.CodeInvalidArgument, Err: err,
				Message: fmt.Sprintf("PostgreSQL at %s has no database %q (%s): fix settings.url.", where, cfg.Database, c.Name()),
				Fields:  []arca.FieldError{{Field: "settings.url", Message: "the database does not exist"}}}
		case pgErr.Code == "42501":
			return &arca.Error{Code: arca.CodePermissionDenied, Err: err,
				Message: fmt.Sprintf("User %q may not connect to database %q at %s for %s (%s): grant it CONNECT.", cfg.User, cfg.Database, where, c.Name(), pgErr.Message)}
		}
		return &arca.Error{Code: arca.CodeUnavailable, Err: err,
			Message: fmt.Sprintf("PostgreSQL at %s refused %s (%s).", where, c.Name(), pgErr.Message)}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "SASL") {
		return &arca.Error{Code: arca.CodeUnauthenticated, Err: err,
			Message: fmt.Sprintf("PostgreSQL at %s asks user %q of %s for a password it did not accept or that is missing: set the source's password.", where, cfg.User, c.Name())}
	}
	reason := "cannot connect"
	var netErr net.Error
	switch {
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		reason = "timed out connecting"
	case strings.Contains(err.Error(), "connection refused"):
		reason = "connection refused"
	case strings.Contains(err.Error(), "no such host"):
		reason = "unknown host"
	}
	return &arca.Error{Code: arca.CodeUnavailable, Err: err,
		Message: fmt.Sprintf("Cannot reach PostgreSQL at %s for %s (%s): start the server, or fix settings.url.", where, c.Name(), reason)}
}

// server is what a backup learns from the server before dumping.
type server struct {
	Version    string // "15.4"
	Major      int
	User       string
	Superuser  bool
	Databases  []dbSize
	Unreadable []string // tables, sequences and schemas the user may not read (database mode)
}

type dbSize struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// inspect reads the server's version, the databases to back up with their
// sizes, and what the user may not read.
func inspect(ctx context.Context, conn *pgx.Conn, s Settings) (server, error) {
	sv, err := serverInfo(ctx, conn)
	if err != nil {
		return sv, err
	}
	q := `SELECT datname, pg_database_size(oid) FROM pg_database WHERE datname = current_database()`
	var args []any
	if s.Mode == ModeCluster {
		q = `SELECT datname, pg_database_size(oid) FROM pg_database WHERE datallowconn AND NOT datistemplate
			AND (coalesce(cardinality($1::text[]), 0) = 0 OR datname = ANY($1)) ORDER BY datname`
		args = append(args, s.Databases)
	}
	rows, _ := conn.Query(ctx, q, args...)
	sv.Databases, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dbSize, error) {
		var d dbSize
		return d, r.Scan(&d.Name, &d.Size)
	})
	if err != nil {
		return sv, fmt.Errorf("list databases: %w", err)
	}
	if s.Mode == ModeDatabase {
		rows, _ := conn.Query(ctx, unreadableSQL)
		if sv.Unreadable, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return sv, fmt.Errorf("check privileges: %w", err)
		}
	}
	return sv, nil
}

// serverInfo reads the server's version and the user.
func serverInfo(ctx context.Context, conn *pgx.Conn) (server, error) {
	var sv server
	var num int
	err := conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_user,
		(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)`).Scan(&sv.Version, &num, &sv.User, &sv.Superuser)
	if err != nil {
		return sv, fmt.Errorf("server version: %w", err)
	}
	sv.Major = num / 10000
	if i := strings.IndexByte(sv.Version, ' '); i > 0 {
		sv.Version = sv.Version[:i]
	}
	return sv, nil
}

// unreadableSQL lists (a few of) the schemas, tables and sequences that
// pg_dump would need to read and the user may not.
const unreadableSQL = `
SELECT 'schema ' || quote_ident(n.nspname) FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND NOT has_schema_privilege(n.oid, 'USAGE')
UNION ALL
SELECT CASE c.relkind WHEN 'S' THEN 'sequence ' ELSE 'table ' END || quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND NOT has_table_privilege(c.oid, 'SELECT')
LIMIT 5`

// checkPrivileges says what the user lacks for the backup.
func checkPrivileges(c source.Config, s Settings, sv server) error {
	if s.Mode == ModeCluster && !sv.Superuser {
		return arca.Errorf(arca.CodePermissionDenied,
			"A cluster backup of %s reads every database and the roles: user %q is not a superuser; connect as one, or back up one database.", c.Name(), sv.User)
	}
	if len(sv.Unreadable) > 0 {
		return arca.Errorf(arca.CodePermissionDenied,
			"User %q of %s may not read %s: grant it SELECT (and USAGE on the schemas), or connect as the database's owner.",
			sv.User, c.Name(), strings.Join(sv.Unreadable, ", "))
	}
	if s.Mode == ModeCluster && len(sv.Databases) == 0 {
		return arca.Errorf(arca.CodeInvalidArgument, "%s names no database of the cluster that accepts connections: fix settings.databases.", c.Name())
	}
	return nil
}
