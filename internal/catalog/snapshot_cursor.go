package catalog

import (
	"encoding/base64"
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
