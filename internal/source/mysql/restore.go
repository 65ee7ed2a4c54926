package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/child"
)

// Restore plays a snapshot's dump through the client: a database dump
// into target.options.database (created, unless target.options.clean restores into an
// existing one; a database the restore created is dropped again if the
// restore fails), an all-databases dump as it is (target.options.clean required).
func (Driver) Restore(ctx context.Context, c source.Config, snap source.Reader, target json.RawMessage) (source.RestoreResult, error) {
	p, err := parse(c.Source.Settings)
	if err != nil {
		return source.RestoreResult{}, err
	}
	var tg Target
	if err := source.DecodeTarget(target, &tg); err != nil {
		return source.RestoreResult{}, err
	}
	name, err := dumpName(ctx, snap)
	if err != nil {
		return source.RestoreResult{}, err
	}
	s, err := open(c, p)
	if err != nil {
		return source.RestoreResult{}, err
	}
	defer s.Close()
	if name == allName {
		if !tg.Clean {
			return source.RestoreResult{}, &arca.Error{Code: arca.CodeInvalidArgument,
				Message: "Restoring an all-databases backup replaces the databases of the same names on the server: set target.options.clean to confirm.",
				Fields:  []arca.FieldError{{Field: "target.options.clean", Message: "required for an all-databases backup"}}}
		}
		n, err := s.play(ctx, snap, name, "")
		if err != nil {
			return source.RestoreResult{}, err
		}
		return source.RestoreResult{Bytes: n, Summary: "Restored all databases."}, nil
	}
	if tg.Database == "" {
		return source.RestoreResult{}, &arca.Error{Code: arca.CodeInvalidArgument,
			Message: "Restoring a database needs the name of the database to restore into: set target.options.database.",
			Fields:  []arca.FieldError{{Field: "target.options.database", Message: "required"}}}
	}
	create := "CREATE DATABASE " + quoteIdent(tg.Database)
	if tg.Clean {
		create = "CREATE DATABASE IF NOT EXISTS " + quoteIdent(tg.Database)
	}
	if _, err := s.query(ctx, "", create); err != nil {
		return source.RestoreResult{}, err
	}
	n, err := s.play(ctx, snap, name, tg.Database)
	if err != nil {
		if !tg.Clean {
			_, _ = s.query(context.WithoutCancel(ctx), "", "DROP DATABASE IF EXISTS "+quoteIdent(tg.Database))
		}
		return source.RestoreResult{}, err
	}
	from := strings.TrimSuffix(name, ".sql")
	return source.RestoreResult{Bytes: n, Details: map[string]string{from: tg.Database},
		Summary: fmt.Sprintf("Restored database %s into %s.", from, tg.Database)}, nil
}

// dumpName finds the snapshot's dump.
func dumpName(ctx context.Context, snap source.Reader) (string, error) {
	es, err := snap.List(ctx)
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range es {
		if strings.HasSuffix(e.Name, ".sql") {
			names = append(names, e.Name)
		}
	}
	if len(names) != 1 {
		return "", arca.Errorf(arca.CodeInvalidArgument, "The snapshot is not a MySQL backup made by Arca (it should hold one .sql file, not %d).", len(names))
	}
	return names[0], nil
}

// play feeds the dump name into the client, in database db ("" for none).
func (s *session) play(ctx context.Context, snap source.Reader, name, db string) (int64, error) {
	rc, err := snap.Open(ctx, name)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	cr := &countReader{r: rc}
	args := []string{"--defaults-file=" + s.opts, "--batch", "--binary-mode"}
	if db != "" {
		args = append(args, "--database="+db)
	}
	if err := child.Run(ctx, child.Spec{Path: s.tools.Client, Args: args, Stdin: cr}, nil); err != nil {
		return cr.n, s.toolError(err)
	}
	return cr.n, nil
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
