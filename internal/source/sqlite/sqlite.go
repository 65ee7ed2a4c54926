// Package sqlite is the source kind "sqlite": a consistent copy of a live
// SQLite database file, taken with SQLite's online backup API while the
// applications using it go on writing, and restored to a path.
//
// The online backup needs a destination it can write pages to at random,
// so the copy is made into a private temporary directory (settings
// temp_dir, the system's by default), streamed into the repository and
// removed: the one kind that stages a copy on disk.
package sqlite

import (
	"encoding/json"
	"path/filepath"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// Settings are a sqlite source's settings.
type Settings struct {
	// Path is the database file (absolute).
	Path string `json:"path"`
	// TempDir is where the consistent copy is staged (absolute); the
	// system's temporary directory when empty. It needs room for the
	// database.
	TempDir string `json:"temp_dir,omitempty"`
}

// Target is where a restore goes.
type Target struct {
	// Path is the file to restore the database to (absolute).
	Path string `json:"path"`
	// Overwrite replaces an existing file (and removes its -wal and -shm
	// files); stop the applications that use it first.
	Overwrite bool `json:"overwrite,omitempty"`
}

// Driver implements source.Driver for SQLite.
type Driver struct{}

var _ source.Driver = Driver{}

// New returns the driver.
func New() Driver { return Driver{} }

// Kind returns arca.SourceSQLite.
func (Driver) Kind() arca.SourceKind { return arca.SourceSQLite }

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
	if msg := checkPath(s.Path); msg != "" {
		bad = append(bad, arca.FieldError{Field: "settings.path", Message: msg})
	}
	if s.TempDir != "" && !filepath.IsAbs(s.TempDir) {
		bad = append(bad, arca.FieldError{Field: "settings.temp_dir", Message: "must be an absolute path"})
	}
	return s, source.Invalid(bad...)
}

func checkPath(p string) string {
	switch {
	case p == "":
		return "give the database file's absolute path"
	case !filepath.IsAbs(p):
		return "must be an absolute path"
	case strings.ContainsAny(p, "?#\x00"):
		return `must not hold "?" or "#"`
	case strings.HasSuffix(p, "/"):
		return "must name a file, not a directory"
	}
	return ""
}

// streamName is the snapshot file of database path.
func streamName(path string) string { return filepath.Base(path) }
