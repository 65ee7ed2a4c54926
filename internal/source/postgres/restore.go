package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/child"
)

// Restore restores a snapshot of this kind into the source's server: a
// database snapshot into target.options.database, a cluster snapshot's globals
// (with psql; roles that exist already are reported by psql and left as
// they are) and then each database into target.options.database_prefix+name.
// Each database is restored by pg_restore in one transaction; a database
// the restore created is dropped again if its restore fails.
func (Driver) Restore(ctx context.Context, c source.Config, snap source.Reader, target json.RawMessage) (source.RestoreResult, error) {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return source.RestoreResult{}, err
	}
	tg, err := parseTarget(target)
	if err != nil {
		return source.RestoreResult{}, err
	}
	globals, dbs, err := contents(ctx, snap)
	if err != nil {
		return source.RestoreResult{}, err
	}
	names := map[string]string{} // database in the snapshot -> target
	for _, d := range dbs {
		names[d] = tg.DatabasePrefix + d
	}
	if !globals {
		if tg.Database == "" {
			return source.RestoreResult{}, &arca.Error{Code: arca.CodeInvalidArgument,
				Message: "Restoring a database needs the name of the database to restore into: set target.options.database.",
				Fields:  []arca.FieldError{{Field: "target.options.database", Message: "required"}}}
		}
		names[dbs[0]] = tg.Database
	}
	conn, err := connect(ctx, c, s, "")
	if err != nil {
		return source.RestoreResult{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sv, err := serverInfo(ctx, conn)
	if err != nil {
		return source.RestoreResult{}, err
	}
	t, err := findTools(ctx, c, s, sv.Major)
	if err != nil {
		return source.RestoreResult{}, err
	}
	env, cleanup, err := passEnv(c)
	if err != nil {
		return source.RestoreResult{}, err
	}
	defer cleanup()
	r := &restorer{c: c, s: s, tg: tg, conn: conn, tools: t, env: env, snap: snap}
	res := source.RestoreResult{Details: map[string]string{}}
	if globals && !tg.SkipGlobals {
		if err := r.globals(ctx, &res); err != nil {
			return res, err
		}
	}
	for _, d := range dbs {
		if err := r.database(ctx, d, names[d], &res); err != nil {
			return res, err
		}
	}
	var parts []string
	for _, d := range dbs {
		parts = append(parts, d+" into "+names[d])
	}
	res.Summary = "Restored database " + strings.Join(parts, ", ") + "."
	return res, nil
}

func parseTarget(raw json.RawMessage) (Target, error) {
	var tg Target
	return tg, source.DecodeTarget(raw, &tg)
}

// contents says whether the snapshot holds a cluster's globals and lists
// its databases.
func contents(ctx context.Context, snap source.Reader) (globals bool, dbs []string, err error) {
	es, err := snap.List(ctx)
	if err != nil {
		return false, nil, err
	}
	for _, e := range es {
		switch {
		case e.Name == globalsName:
			globals = true
		case strings.HasSuffix(e.Name, ".pgdump"):
			d, err := url.PathUnescape(strings.TrimSuffix(e.Name, ".pgdump"))
			if err != nil {
				d = strings.TrimSuffix(e.Name, ".pgdump")
			}
			dbs = append(dbs, d)
		}
	}
	sort.Strings(dbs)
	if len(dbs) == 0 || (!globals && len(dbs) > 1) {
		return false, nil, arca.Errorf(arca.CodeInvalidArgument, "The snapshot is not a PostgreSQL backup made by Arca (it holds no .pgdump file, or several without globals.sql).")
	}
	return globals, dbs, nil
}

type restorer struct {
	c     source.Config
	s     Settings
	tg    Target
	conn  *pgx.Conn
	tools tools
	env   []string
	snap  source.Reader
}

func (r *restorer) globals(ctx context.Context, res *source.RestoreResult) error {
	rc, err := r.snap.Open(ctx, globalsName)
	if err != nil {
		return err
	}
	defer rc.Close()
	cr := &countReader{r: rc}
	var out strings.Builder
	spec := child.Spec{Path: r.tools.path("psql"), Args: []string{"-X", "-q", "--dbname=" + r.s.URL, "-f", "-"},
		Env: r.env, Stdin: cr, Stdout: &out}
	if err := child.Run(ctx, spec, nil); err != nil {
		return toolError(r.c, err)
	}
	res.Bytes += cr.n
	res.Details["globals"] = "applied (roles that existed already were left as they were)"
	return nil
}

func (r *restorer) database(ctx context.Context, from, to string, res *source.RestoreResult) error {
	var exists bool
	if err := r.conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, to).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", to, err)
	}
	if exists && !r.tg.Clean {
		return &arca.Error{Code: arca.CodeAlreadyExists,
			Message: fmt.Sprintf("Database %q exists already on the server of %s: choose another target, or set target.options.clean to replace its objects.", to, r.c.Name())}
	}
	created := false
	if !exists {
		if _, err := r.conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{to}.Sanitize()+" TEMPLATE template0"); err != nil {
			return pgError(r.c, "create database "+to, err)
		}
		created = true
	}
	rc, err := r.snap.Open(ctx, streamName(from))
	if err != nil {
		return err
	}
	defer rc.Close()
	cr := &countReader{r: rc}
	args := []string{"--dbname=" + withDatabase(r.s.URL, to), "--exit-on-error", "--single-transaction"}
	if r.tg.Clean && exists {
		args = append(args, "--clean", "--if-exists")
	}
	if r.tg.NoOwner {
		args = append(args, "--no-owner")
	}
	err = child.Run(ctx, child.Spec{Path: r.tools.path("pg_restore"), Args: args, Env: r.env, Stdin: cr}, nil)
	if err != nil {
		if created {
			_, _ = r.conn.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+pgx.Identifier{to}.Sanitize())
		}
		return toolError(r.c, err)
	}
	res.Bytes += cr.n
	res.Details[from] = to
	return nil
}

// pgError says why a statement of a restore failed.
func pgError(c source.Config, what string, err error) error {
	code := arca.CodeUnavailable
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" {
		code = arca.CodePermissionDenied
	}
	return &arca.Error{Code: code, Err: err, Message: fmt.Sprintf("Cannot %s on the server of %s (%v).", what, c.Name(), err)}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
