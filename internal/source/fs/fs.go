// Package fs is the source kind "fs": directories and files on the
// server's own file systems, backed up through the archiver's walker (with
// change detection against the parent snapshot) and restored into a
// directory.
package fs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// Settings are the settings of an fs source.
type Settings struct {
	Paths         []string `json:"paths"`
	Excludes      []string `json:"excludes,omitempty"`
	OneFileSystem bool     `json:"one_file_system,omitempty"`
}

// Driver is the fs kind. It names the paths it reads (source.LocalPaths),
// so that the server holds them to the directories it allows.
type Driver struct{}

var (
	_ source.Driver     = Driver{}
	_ source.LocalPaths = Driver{}
)

// Kind returns "fs".
func (Driver) Kind() arca.SourceKind { return arca.SourceFS }

func parse(raw json.RawMessage) (Settings, error) {
	var s Settings
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, &arca.Error{Code: arca.CodeInvalidArgument,
			Message: fmt.Sprintf("The fs settings are not valid: %v. Give {\"paths\": [\"/srv/data\"], \"excludes\": [\"*.tmp\"], \"one_file_system\": false}.", err),
			Fields:  []arca.FieldError{{Field: "settings", Message: err.Error()}}}
	}
	return s, nil
}

// Validate checks that there is at least one path, every path absolute.
func (Driver) Validate(raw json.RawMessage) error {
	s, err := parse(raw)
	if err != nil {
		return err
	}
	var fields []arca.FieldError
	if len(s.Paths) == 0 {
		fields = append(fields, arca.FieldError{Field: "settings.paths", Message: "give at least one path to back up"})
	}
	for i, p := range s.Paths {
		if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) {
			fields = append(fields, arca.FieldError{Field: fmt.Sprintf("settings.paths[%d]", i), Message: fmt.Sprintf("%q is not an absolute path", p)})
		}
	}
	for i, e := range s.Excludes {
		if strings.TrimSpace(e) == "" {
			fields = append(fields, arca.FieldError{Field: fmt.Sprintf("settings.excludes[%d]", i), Message: "empty pattern"})
		}
	}
	if len(fields) > 0 {
		return &arca.Error{Code: arca.CodeInvalidArgument, Message: "The fs settings are not valid: " + fields[0].Field + ": " + fields[0].Message + ".", Fields: fields}
	}
	return nil
}

// ReadPaths returns the paths a source backs up.
func (Driver) ReadPaths(raw json.RawMessage) ([]string, error) {
	s, err := parse(raw)
	return s.Paths, err
}

// WritePaths returns nothing: files are restored by the restorer, under
// the restore roots the restore operation checks.
func (Driver) WritePaths(json.RawMessage) ([]string, error) { return nil, nil }

// Probe checks that every path exists and can be read.
func (d Driver) Probe(_ context.Context, c source.Config) error {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return err
	}
	for _, p := range s.Paths {
		f, err := os.Open(p)
		if err != nil {
			return arca.Errorf(arca.CodeUnavailable, "Source %q cannot read %s: %v.", c.Source.Name, p, err)
		}
		f.Close()
	}
	return nil
}

// Backup hands the paths to the sink's file backup.
func (Driver) Backup(ctx context.Context, c source.Config, _ source.BackupOptions, sink source.Sink) (source.Meta, error) {
	s, err := parse(c.Source.Settings)
	if err != nil {
		return nil, err
	}
	if err := sink.Files(ctx, s.Paths, source.FileOptions{Excludes: s.Excludes, OneFileSystem: s.OneFileSystem}); err != nil {
		return nil, err
	}
	return source.Meta{"engine": "fs"}, nil
}

// Restore is not used for files: the restore operation writes them with
// the restorer directly.
func (Driver) Restore(context.Context, source.Config, source.Reader, json.RawMessage) (source.RestoreResult, error) {
	return source.RestoreResult{}, arca.Errorf(arca.CodeInternal, "fs snapshots are restored by the restorer, not through the source driver.")
}
