// Package postgres is the source kind "postgres": one PostgreSQL database
// dumped with `pg_dump --format=custom`, or a whole cluster (the globals
// from `pg_dumpall --globals-only`, then each database with pg_dump),
// streamed into the repository with no copy on disk, and restored with
// pg_restore into a named database.
//
// The password is the source's secret: it reaches the tools through a
// PGPASSFILE (0600, in a private temporary directory removed afterwards),
// and this package's own connections (probe, sizes, creating the target of
// a restore) through pgx's configuration, never through an argument list.
//
// Dumps are uncompressed (--compress=0): the repository compresses what it
// stores, and its content-defined chunking finds the unchanged parts of a
// second dump only in stable bytes; a compressed dump changes everywhere
// after the first change.
package postgres

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// The modes.
const (
	ModeDatabase = "database" // the database of the URL (the default)
	ModeCluster  = "cluster"  // the globals and every database
)

// Settings are a postgres source's settings.
type Settings struct {
	// URL says where and as whom to connect:
	// postgres://user@host:port/dbname?sslmode=require. No password: that
	// is the source's secret.
	URL string `json:"url"`
	// Mode is "database" (the URL's database) or "cluster".
	Mode string `json:"mode,omitempty"`
	// Databases limits a cluster backup to these databases (all that
	// accept connections, templates aside, when empty).
	Databases []string `json:"databases,omitempty"`
	// BinDir is the directory of pg_dump, pg_dumpall, pg_restore and
	// psql. When empty, the newest found on PATH or in
	// /usr/lib/postgresql/*/bin is used.
	BinDir string `json:"bin_dir,omitempty"`
}

// Target is where a restore goes.
type Target struct {
	// Database is the database a database-mode snapshot is restored into.
	Database string `json:"database,omitempty"`
	// DatabasePrefix names the databases of a cluster restore: each is
	// restored into prefix+name.
	DatabasePrefix string `json:"database_prefix,omitempty"`
	// Clean restores into databases that exist, dropping the objects of
	// the dump first (pg_restore --clean --if-exists). Without it, a
	// target database must not exist; it is created.
	Clean bool `json:"clean,omitempty"`
	// NoOwner does not restore object owners (pg_restore --no-owner): the
	// restoring user owns everything.
	NoOwner bool `json:"no_owner,omitempty"`
	// SkipGlobals does not run the globals (roles, tablespaces) of a
	// cluster snapshot.
	SkipGlobals bool `json:"skip_globals,omitempty"`
}

// Driver implements source.Driver for PostgreSQL.
type Driver struct{}

var _ source.Driver = Driver{}

// New returns the driver.
func New() Driver { return Driver{} }

// Kind returns arca.SourcePostgres.
func (Driver) Kind() arca.SourceKind { return arca.SourcePostgres }

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
	bad := validateURL(s)
	switch s.Mode {
	case "":
		s.Mode = ModeDatabase
	case ModeDatabase, ModeCluster:
	default:
		bad = append(bad, arca.FieldError{Field: "settings.mode", Message: `must be "database" or "cluster"`})
	}
	if len(s.Databases) > 0 && s.Mode != ModeCluster {
		bad = append(bad, arca.FieldError{Field: "settings.databases", Message: `only for mode "cluster"; a database backup takes the URL's database`})
	}
	for _, d := range s.Databases {
		if d == "" {
			bad = append(bad, arca.FieldError{Field: "settings.databases", Message: "holds an empty name"})
		}
	}
	if s.BinDir != "" && !filepath.IsAbs(s.BinDir) {
		bad = append(bad, arca.FieldError{Field: "settings.bin_dir", Message: "must be an absolute path"})
	}
	return s, source.Invalid(bad...)
}

func validateURL(s Settings) []arca.FieldError {
	field := func(msg string) []arca.FieldError { return []arca.FieldError{{Field: "settings.url", Message: msg}} }
	if s.URL == "" {
		return field("give the server's URL, such as postgres://user@host:5432/dbname")
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return field("must be a URL such as postgres://user@host:5432/dbname")
	}
	if _, ok := u.User.Password(); ok || u.Query().Has("password") {
		return field("holds a password: give it as the source's secret instead, which is stored encrypted")
	}
	if u.Query().Has("passfile") {
		return field("names a passfile: give the password as the source's secret instead")
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return field("names no host")
	}
	if s.Mode != ModeCluster && strings.Trim(u.Path, "/") == "" {
		return field(`names no database: add /dbname, or set mode "cluster"`)
	}
	if _, err := pgx.ParseConfig(s.URL); err != nil {
		return field("is not a valid connection URL: " + err.Error())
	}
	return nil
}

// withDatabase returns the URL naming database db instead.
func withDatabase(raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + db
	u.RawPath = ""
	return u.String()
}

// database is the URL's database ("postgres" if it names none).
func database(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if d := strings.Trim(u.Path, "/"); d != "" {
		return d
	}
	return "postgres"
}

// streamName is the snapshot file of database db.
func streamName(db string) string { return url.PathEscape(db) + ".pgdump" }

// globalsName is the snapshot file of a cluster's globals.
const globalsName = "globals.sql"
