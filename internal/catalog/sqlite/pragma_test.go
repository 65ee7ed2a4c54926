package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPragmas checks the settings each pool's connections run with.
func TestPragmas(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	common := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000",
		"temp_store": "2"}
	for name, pool := range map[string]struct {
		db        *sql.DB
		queryOnly string
	}{"write": {db.write, "0"}, "read": {db.read, "1"}} {
		want := map[string]string{"query_only": pool.queryOnly}
		for k, v := range common {
			want[k] = v
		}
		got := map[string]string{}
		for k := range want {
			var v string
			if err := pool.db.QueryRowContext(t.Context(), "PRAGMA "+k).Scan(&v); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", name, k, err)
			}
			got[k] = v
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s pool pragmas (-want +got):\n%s", name, d)
		}
	}
	if n := db.write.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("write pool allows %d connections, want 1", n)
	}
}
