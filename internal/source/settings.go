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
	return decode(settings, v, "settings")
}

// DecodeTarget decodes the kind's own restore target (the restore's
// target.options) into v as DecodeSettings does, naming fields
// "target.options.database" and so on.
func DecodeTarget(options json.RawMessage, v any) error {
	return decode(options, v, "target.options")
}

func decode(settings json.RawMessage, v any, prefix string) error {
	if len(bytes.TrimSpace(settings)) == 0 || string(bytes.TrimSpace(settings)) == "null" {
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
		return invalid(prefix, arca.FieldError{Field: prefix + "." + te.Field, Message: "must be a " + te.Type.String()})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(prefix, arca.FieldError{Field: prefix + "." + name, Message: "unknown setting"})
	}
	return invalid(prefix, arca.FieldError{Field: prefix, Message: "must be a JSON object: " + err.Error()})
}

func invalid(prefix string, f arca.FieldError) error {
	if prefix == "settings" {
		return Invalid(f)
	}
	return InvalidTarget(f)
}

// InvalidTarget returns the arca.CodeInvalidArgument error of a bad
// restore target, or nil when fields is empty.
func InvalidTarget(fields ...arca.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return &arca.Error{Code: arca.CodeInvalidArgument, Fields: fields,
		Message: fmt.Sprintf("The restore target is not valid (%s): fix it and try again.", strings.Join(parts, "; "))}
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
