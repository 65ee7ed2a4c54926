package catalog

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// SnapshotCursor is the position after which a page of snapshots starts:
// the last snapshot of the previous page. Pages go newest first, by (Time,
// ID, RepositoryID) descending, so snapshots of the same time page in a
// stable order.
type SnapshotCursor struct {
	Time         time.Time
	ID           string
	RepositoryID string
}

// cursorTimeFormat is the fixed-width time of an encoded cursor.
const cursorTimeFormat = "2006-01-02T15:04:05.000000Z"

// EncodeSnapshotCursor returns the opaque text of the cursor after s.
func EncodeSnapshotCursor(s arca.Snapshot) string {
	raw := DBTime(s.Time).Format(cursorTimeFormat) + "\n" + s.ID + "\n" + s.RepositoryID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeSnapshotCursor reads a cursor EncodeSnapshotCursor made; anything
// else is an INVALID_ARGUMENT error.
func DecodeSnapshotCursor(s string) (SnapshotCursor, error) {
	bad := invalid("after", "The page cursor is not one the server returned: start again from the first page.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return SnapshotCursor{}, bad
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" || checkText(map[string]string{"after": string(raw)}) != nil {
		return SnapshotCursor{}, bad
	}
	t, err := time.Parse(cursorTimeFormat, parts[0])
	if err != nil {
		return SnapshotCursor{}, bad
	}
	return SnapshotCursor{Time: t.UTC(), ID: parts[1], RepositoryID: parts[2]}, nil
}

// SnapshotIDRange returns the range [lo, hi) of the snapshot ids that
// start with prefix, for an indexed range scan: ids are lower-case hex, so
// hi is prefix with its last digit moved one byte up. A prefix of anything
// but 1 to 64 lower-case hex digits is an INVALID_ARGUMENT error.
func SnapshotIDRange(prefix string) (lo, hi string, err error) {
	if len(prefix) == 0 || len(prefix) > 64 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return "", "", invalid("id_prefix", fmt.Sprintf(
			"%q is not the start of a snapshot id: give 1 to 64 lower-case hex digits.", prefix))
	}
	b := []byte(prefix)
	b[len(b)-1]++
	return prefix, string(b), nil
}
