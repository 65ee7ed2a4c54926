package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/child"
)

// tools are the client programs of one PostgreSQL version.
type tools struct {
	Dir     string // holds pg_dump, pg_dumpall, pg_restore, psql
	Version string // "15.4"
	Major   int
}

func (t tools) path(name string) string { return filepath.Join(t.Dir, name) }

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(\.\d+)?`)

// findTools returns the client tools to use with a server of major
// version serverMajor: those of settings.bin_dir, or the newest in
// /usr/lib/postgresql/*/bin, or else those on PATH. pg_dump refuses servers newer
// than itself, so an older one is an arca.CodeUnavailable error.
func findTools(ctx context.Context, c source.Config, s Settings, serverMajor int) (tools, error) {
	var dirs []string
	if s.BinDir != "" {
		dirs = []string{s.BinDir}
	} else {
		// Debian's versioned directories first: /usr/bin/pg_dump there is
		// a wrapper that picks a version by itself, and slowly.
		dirs, _ = filepath.Glob("/usr/lib/postgresql/*/bin")
		if p, err := exec.LookPath("pg_dump"); err == nil && len(dirs) == 0 {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	var all []tools
	for _, d := range dirs {
		if t, ok := version(ctx, d); ok {
			all = append(all, t)
		}
	}
	if len(all) == 0 {
		where := "on PATH or in /usr/lib/postgresql/*/bin"
		if s.BinDir != "" {
			where = "in settings.bin_dir " + s.BinDir
		}
		return tools{}, arca.Errorf(arca.CodeUnavailable,
			"No pg_dump was found %s for %s: install the PostgreSQL %d client tools (postgresql-client-%d) on the Arca server, or set settings.bin_dir.",
			where, c.Name(), serverMajor, serverMajor)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Major > all[j].Major })
	best := all[0]
	if best.Major < serverMajor {
		return tools{}, arca.Errorf(arca.CodeUnavailable,
			"pg_dump %s (in %s) cannot dump the PostgreSQL %d server of %s: install the PostgreSQL %d client tools (postgresql-client-%d) or newer, or set settings.bin_dir.",
			best.Version, best.Dir, serverMajor, c.Name(), serverMajor, serverMajor)
	}
	for _, name := range []string{"pg_dumpall", "pg_restore", "psql"} {
		if _, err := os.Stat(best.path(name)); err != nil {
			return tools{}, arca.Errorf(arca.CodeUnavailable, "%s is missing beside pg_dump in %s, needed by %s: install the PostgreSQL client tools whole.", name, best.Dir, c.Name())
		}
	}
	return best, nil
}

// version runs dir/pg_dump --version.
func version(ctx context.Context, dir string) (tools, bool) {
	var out strings.Builder
	if err := child.Run(ctx, child.Spec{Path: filepath.Join(dir, "pg_dump"), Args: []string{"--version"}, Stdout: &out}, nil); err != nil {
		return tools{}, false
	}
	m := versionRE.FindStringSubmatch(out.String())
	if m == nil {
		return tools{}, false
	}
	major, _ := strconv.Atoi(m[1])
	return tools{Dir: dir, Version: m[1] + m[2], Major: major}, true
}

// passEnv writes the secret into a PGPASSFILE in a private directory and
// returns the environment of the tools; call the cleanup when they ended.
func passEnv(c source.Config) ([]string, func(), error) {
	env := []string{"PGCONNECT_TIMEOUT=10", "PGAPPNAME=arca"}
	if c.Secret == "" {
		return env, func() {}, nil
	}
	dir, err := child.NewPrivateDir()
	if err != nil {
		return nil, nil, err
	}
	p, err := dir.WriteFile("pgpass", "*:*:*:*:"+passfileEscape(c.Secret)+"\n")
	if err != nil {
		_ = dir.Remove()
		return nil, nil, err
	}
	return append(env, "PGPASSFILE="+p), func() { _ = dir.Remove() }, nil
}

// passfileEscape escapes ":" and "\" as the password file wants them.
func passfileEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}

// toolError turns a failed tool into the error a user sees, classifying
// its standard error.
func toolError(c source.Config, err error) error {
	var ee *child.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	prog := filepath.Base(ee.Program)
	if ee.NotFound() {
		return &arca.Error{Code: arca.CodeUnavailable, Err: err,
			Message: fmt.Sprintf("%s cannot be run for %s (%v): install the PostgreSQL client tools or fix settings.bin_dir.", prog, c.Name(), ee.Err)}
	}
	tail := c.Scrub(ee.Stderr)
	code := arca.CodeUnavailable
	hint := "see the tool's message."
	switch low := strings.ToLower(tail); {
	case strings.Contains(low, "password authentication failed"), strings.Contains(low, "no password supplied"):
		code, hint = arca.CodeUnauthenticated, "fix the source's password."
	case strings.Contains(low, "permission denied"), strings.Contains(low, "must be owner"), strings.Contains(low, "must be superuser"):
		code, hint = arca.CodePermissionDenied, "grant the user the privileges it lacks, or connect as the database's owner."
	case strings.Contains(low, "connection refused"), strings.Contains(low, "could not connect"), strings.Contains(low, "timeout expired"):
		hint = "start the server, or fix settings.url."
	}
	return &arca.Error{Code: code, Err: fmt.Errorf("%s", c.Scrub(err.Error())),
		Message: fmt.Sprintf("%s of %s failed with exit status %d (%s): %s", prog, c.Name(), ee.Code, child.LastLine(tail), hint)}
}
