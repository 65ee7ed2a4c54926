package postgres

import (
	"context"
	"io"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/child"
)

// plan is a backup ready to run: what the server said and the tools.
type plan struct {
	s     Settings
	sv    server
	tools tools
}

// prepare connects, reads what to back up and checks privileges and tools.
func prepare(ctx context.Context, c source.Config) (plan, error) {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return plan{}, err
	}
	conn, err := connect(ctx, c, s, "")
	if err != nil {
		return plan{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sv, err := inspect(ctx, conn, s)
	if err != nil {
		return plan{}, err
	}
	if err := checkPrivileges(c, s, sv); err != nil {
		return plan{}, err
	}
	if err := checkDatabases(c, s, sv); err != nil {
		return plan{}, err
	}
	t, err := findTools(ctx, c, s, sv.Major)
	if err != nil {
		return plan{}, err
	}
	return plan{s: s, sv: sv, tools: t}, nil
}

// checkDatabases names the databases of settings.databases the cluster
// does not have (or that do not accept connections).
func checkDatabases(c source.Config, s Settings, sv server) error {
	have := map[string]bool{}
	for _, d := range sv.Databases {
		have[d.Name] = true
	}
	for _, d := range s.Databases {
		if !have[d] {
			return &arca.Error{Code: arca.CodeInvalidArgument,
				Message: "The cluster of " + c.Name() + " has no database " + quote(d) + " that accepts connections: fix settings.databases.",
				Fields:  []arca.FieldError{{Field: "settings.databases", Message: "no database " + quote(d)}}}
		}
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }

// Probe checks the server is reachable, the password accepted, the
// privileges enough and the tools suitable.
func (Driver) Probe(ctx context.Context, c source.Config) error {
	_, err := prepare(ctx, c)
	return err
}

// Backup dumps the database (or the cluster) into sink: in database mode
// one stream "<db>.pgdump"; in cluster mode "globals.sql" and then one
// "<db>.pgdump" per database. Each pg_dump reads one consistent snapshot
// of its database (its transaction is REPEATABLE READ), so writers may go
// on meanwhile.
func (Driver) Backup(ctx context.Context, c source.Config, opts source.BackupOptions, sink source.Sink) (source.Meta, error) {
	p, err := prepare(ctx, c)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, d := range p.sv.Databases {
		total += d.Size
	}
	sink.Expect(total)
	env, cleanup, err := passEnv(c)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if p.s.Mode == ModeCluster {
		args := []string{"--globals-only", "--dbname=" + p.s.URL}
		if err := dump(ctx, c, sink, globalsName, child.Spec{Path: p.tools.path("pg_dumpall"), Args: args, Env: env}); err != nil {
			return nil, err
		}
	}
	for _, d := range p.sv.Databases {
		args := []string{"--format=custom", "--compress=0", "--dbname=" + withDatabase(p.s.URL, d.Name)}
		if err := dump(ctx, c, sink, streamName(d.Name), child.Spec{Path: p.tools.path("pg_dump"), Args: args, Env: env}); err != nil {
			return nil, err
		}
	}
	return p.meta()
}

func dump(ctx context.Context, c source.Config, sink source.Sink, name string, spec child.Spec) error {
	err := child.Run(ctx, spec, func(r io.Reader) error { return sink.Stream(ctx, name, r) })
	if err != nil {
		return toolError(c, err)
	}
	return nil
}

func (p plan) meta() (source.Meta, error) {
	m := source.Meta{
		"engine":         "postgresql",
		"server_version": p.sv.Version,
		"mode":           p.s.Mode,
		"tool_version":   "pg_dump " + p.tools.Version,
		"format":         "custom, uncompressed",
	}
	if err := m.SetJSON("databases", p.sv.Databases); err != nil {
		return nil, err
	}
	return m, nil
}
