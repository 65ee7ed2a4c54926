package sqlite

import (
	"encoding/json"

	"github.com/arcabackup/arca/internal/arca"

	"github.com/arcabackup/arca/internal/source"
)

var _ source.LocalPaths = Driver{}

// ReadPaths returns the database file a source reads.
func (Driver) ReadPaths(settings json.RawMessage) ([]string, error) {
	s, err := parse(settings)
	if err != nil {
		return nil, err
	}
	return []string{s.Path}, nil
}

// WritePaths returns the file a restore writes.
func (Driver) WritePaths(target json.RawMessage) ([]string, error) {
	var t Target
	if err := json.Unmarshal(target, &t); err != nil {
		return nil, source.Invalid(arca.FieldError{Field: "target.options", Message: "must be {\"path\": \"/abs/file.db\", \"overwrite\": false}"})
	}
	return []string{t.Path}, nil
}
