// Package command is the source kind "command": the standard output of any
// command, saved as one stream (a tool's own export, say), restored by
// piping it into another command. A command that fails fails the task with
// its exit status and the tail of its standard error.
package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/child"
)

// Settings are a command source's settings.
type Settings struct {
	// Command is the program and its arguments (no shell: use
	// ["sh", "-c", "..."] for one). Never put a secret here: give it as
	// the source's secret and name SecretEnv.
	Command []string `json:"command"`
	// Name is the stream's file name in the snapshot; "stdout" by default.
	Name string `json:"name,omitempty"`
	// Dir is the working directory (absolute); the server's when empty.
	Dir string `json:"dir,omitempty"`
	// Env is added to the environment of both commands.
	Env map[string]string `json:"env,omitempty"`
	// SecretEnv names the environment variable that carries the source's
	// secret to both commands.
	SecretEnv string `json:"secret_env,omitempty"`
	// RestoreCommand reads a snapshot's stream on its standard input; a
	// restore target may give another.
	RestoreCommand []string `json:"restore_command,omitempty"`
}

// Target is where a restore goes: the command to pipe the stream into
// (Settings.RestoreCommand when empty).
type Target struct {
	Command []string `json:"command,omitempty"`
}

// DefaultName is the stream's name when Settings.Name is empty.
const DefaultName = "stdout"

// Driver implements source.Driver for commands.
type Driver struct{}

var _ source.Driver = Driver{}

// New returns the driver.
func New() Driver { return Driver{} }

// Kind returns arca.SourceCommand.
func (Driver) Kind() arca.SourceKind { return arca.SourceCommand }

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the settings.
func (Driver) Validate(settings json.RawMessage) error {
	_, err := parse(settings)
	return err
}

func parse(raw json.RawMessage) (Settings, error) {
	var s Settings
	if err := source.DecodeSettings(raw, &s); err != nil {
		return s, err
	}
	var bad []arca.FieldError
	if len(s.Command) == 0 || s.Command[0] == "" {
		bad = append(bad, arca.FieldError{Field: "settings.command", Message: "give the program and its arguments, such as [\"pg_dumpall\"]"})
	}
	if s.Name != "" && (s.Name == "." || s.Name == ".." || strings.ContainsAny(s.Name, "/\x00")) {
		bad = append(bad, arca.FieldError{Field: "settings.name", Message: "must be a plain file name"})
	}
	if s.Dir != "" && !filepath.IsAbs(s.Dir) {
		bad = append(bad, arca.FieldError{Field: "settings.dir", Message: "must be an absolute path"})
	}
	for k := range s.Env {
		if !envName.MatchString(k) {
			bad = append(bad, arca.FieldError{Field: "settings.env." + k, Message: "is not a valid environment variable name"})
		}
	}
	if s.SecretEnv != "" && !envName.MatchString(s.SecretEnv) {
		bad = append(bad, arca.FieldError{Field: "settings.secret_env", Message: "is not a valid environment variable name"})
	}
	if len(s.RestoreCommand) > 0 && s.RestoreCommand[0] == "" {
		bad = append(bad, arca.FieldError{Field: "settings.restore_command", Message: "the program is empty"})
	}
	if s.Name == "" {
		s.Name = DefaultName
	}
	return s, source.Invalid(bad...)
}

// Probe checks that the program exists.
func (Driver) Probe(ctx context.Context, c source.Config) error {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return err
	}
	return lookPath(c, s.Command[0], "settings.command")
}

func lookPath(c source.Config, prog, field string) error {
	if _, err := exec.LookPath(prog); err != nil {
		return &arca.Error{Code: arca.CodeUnavailable, Err: err,
			Message: fmt.Sprintf("The program %q of %s cannot be run (%v): install it or fix %s.", prog, c.Name(), errors.Unwrap(err), field)}
	}
	return nil
}

// Backup runs the command and saves its standard output as one stream.
func (Driver) Backup(ctx context.Context, c source.Config, opts source.BackupOptions, sink source.Sink) (source.Meta, error) {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return nil, err
	}
	spec := child.Spec{Path: s.Command[0], Args: s.Command[1:], Dir: s.Dir, Env: environ(s, c.Secret)}
	err = child.Run(ctx, spec, func(r io.Reader) error { return sink.Stream(ctx, s.Name, r) })
	if err != nil {
		return nil, failed(c, "command", err)
	}
	meta := source.Meta{"engine": "command"}
	if err := meta.SetJSON("command", s.Command); err != nil {
		return nil, err
	}
	return meta, nil
}

// Restore pipes the snapshot's stream into the restore command.
func (Driver) Restore(ctx context.Context, c source.Config, snap source.Reader, target json.RawMessage) (source.RestoreResult, error) {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return source.RestoreResult{}, err
	}
	var tg Target
	if err := source.DecodeTarget(target, &tg); err != nil {
		return source.RestoreResult{}, err
	}
	cmd := tg.Command
	if len(cmd) == 0 {
		cmd = s.RestoreCommand
	}
	if len(cmd) == 0 || cmd[0] == "" {
		return source.RestoreResult{}, &arca.Error{Code: arca.CodeInvalidArgument,
			Message: fmt.Sprintf("%s has no restore command: give target.options.command or settings.restore_command.", c.Name()),
			Fields:  []arca.FieldError{{Field: "target.options.command", Message: "required"}}}
	}
	name, err := streamName(ctx, snap, s.Name)
	if err != nil {
		return source.RestoreResult{}, err
	}
	rc, err := snap.Open(ctx, name)
	if err != nil {
		return source.RestoreResult{}, err
	}
	defer rc.Close()
	cr := &countReader{r: rc}
	spec := child.Spec{Path: cmd[0], Args: cmd[1:], Dir: s.Dir, Env: environ(s, c.Secret), Stdin: cr}
	if err := child.Run(ctx, spec, nil); err != nil {
		return source.RestoreResult{}, failed(c, "restore command", err)
	}
	return source.RestoreResult{Bytes: cr.n,
		Summary: fmt.Sprintf("Piped %d bytes of %s into %s.", cr.n, name, cmd[0])}, nil
}

// streamName is the snapshot's stream: want if it is there, else its only
// file.
func streamName(ctx context.Context, snap source.Reader, want string) (string, error) {
	es, err := snap.List(ctx)
	if err != nil {
		return "", err
	}
	for _, e := range es {
		if e.Name == want {
			return want, nil
		}
	}
	if len(es) == 1 {
		return es[0].Name, nil
	}
	return "", arca.Errorf(arca.CodeNotFound, "The snapshot has no stream %q to restore.", want)
}

func environ(s Settings, secret string) []string {
	var env []string
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	if s.SecretEnv != "" {
		env = append(env, s.SecretEnv+"="+secret)
	}
	return env
}

// failed turns a child's failure into the error a user sees.
func failed(c source.Config, what string, err error) error {
	var ee *child.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	if ee.NotFound() {
		return &arca.Error{Code: arca.CodeUnavailable, Err: errors.New(c.Scrub(err.Error())),
			Message: fmt.Sprintf("The %s of %s cannot be run (%s): install %s or fix the source's settings.", what, c.Name(), c.Scrub(ee.Err.Error()), ee.Program)}
	}
	return &arca.Error{Code: arca.CodeUnavailable, Err: errors.New(c.Scrub(err.Error())),
		Message: fmt.Sprintf("The %s of %s (%s) failed with exit status %d: %s", what, c.Name(), ee.Program, ee.Code, c.Scrub(tailOrNone(child.LastLines(ee.Stderr, 10, 1000))))}
}

func tailOrNone(s string) string {
	if s == "" {
		return "it wrote nothing to standard error."
	}
	return s
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
