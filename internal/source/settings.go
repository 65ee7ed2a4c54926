package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
)

// DecodeSettings decodes a source's settings into v strictly: an unknown
// setting or a value of the wrong type is an arca.CodeInvalidArgument
// error naming the field ("settings.port").
func DecodeSettings(settings json.RawMessage, v any) error {
	if len(bytes.TrimSpace(settings)) == 0 {
		settings = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(settings))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return Invalid(arca.FieldError{Field: "settings." + te.Field, Message: "must be a " + te.Type.String()})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Invalid(arca.FieldError{Field: "settings." + name, Message: "unknown setting"})
	}
	return Invalid(arca.FieldError{Field: "settings", Message: "must be a JSON object: " + err.Error()})
}

// Invalid returns the arca.CodeInvalidArgument error of bad settings, or
// nil when fields is empty.
func Invalid(fields ...arca.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return &arca.Error{Code: arca.CodeInvalidArgument, Fields: fields,
		Message: fmt.Sprintf("The source's settings are not valid (%s): fix them and try again.", strings.Join(parts, "; "))}
}

// Name names the source in messages: `source "shop"` (its id when it has
// no name yet).
func (c Config) Name() string {
	n := c.Source.Name
	if n == "" {
		n = c.Source.ID
	}
	if n == "" {
		return "the source"
	}
	return fmt.Sprintf("source %q", n)
}

// Scrub replaces every occurrence of the secret in s (text from a child's
// standard error, say) by "***".
func (c Config) Scrub(s string) string {
	if c.Secret == "" {
		return s
	}
	return strings.ReplaceAll(s, c.Secret, "***")
}
