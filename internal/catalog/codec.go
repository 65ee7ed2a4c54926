package catalog

import (
	"encoding/json"
	"fmt"

	"github.com/arcabackup/arca/internal/arca"
)

// The helpers below turn task fields into the driver-neutral values both
// drivers bind as query arguments (nil stands for NULL). The SQL that uses
// them stays in each driver.

// NullString turns "" into NULL.
func NullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// RawJSON turns an empty raw message into NULL and passes the rest as text.
func RawJSON(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

// JSONValue encodes v as JSON text, or NULL for a nil *arca.TaskError or an
// empty []string.
func JSONValue(v any) (any, error) {
	switch x := v.(type) {
	case *arca.TaskError:
		if x == nil {
			return nil, nil
		}
	case []string:
		if len(x) == 0 {
			return nil, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return string(b), nil
}
