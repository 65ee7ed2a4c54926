// Package mysql is the source kind "mysql", for MySQL and MariaDB: one
// database (or all of them) dumped with mariadb-dump or mysqldump
// (--single-transaction --routines --events --triggers), streamed into the
// repository with no copy on disk, and restored through the mariadb or
// mysql client.
//
// The password is the source's secret: the tools read it from an option
// file (--defaults-file, 0600, in a private temporary directory removed
// afterwards), never from their argument list. --single-transaction reads
// InnoDB tables in one consistent snapshot while writers go on; tables of
// other engines (MyISAM) are not transactional and may be dumped at
// different moments.
package mysql

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// The modes.
const (
	ModeDatabase = "database" // the URL's database (the default)
	ModeAll      = "all"      // every database, in one consistent dump
)

// Settings are a mysql source's settings.
type Settings struct {
	// URL says where and as whom to connect: mysql://user@host:3306/dbname.
	// No password: that is the source's secret.
	URL string `json:"url"`
	// Mode is "database" (the URL's database) or "all" (every database,
	// with mysqldump --all-databases).
	Mode string `json:"mode,omitempty"`
	// BinDir is the directory of mariadb-dump (or mysqldump) and mariadb
	// (or mysql); PATH when empty.
	BinDir string `json:"bin_dir,omitempty"`
}

// Target is where a restore goes.
type Target struct {
	// Database is the database a database-mode snapshot is restored into.
	// It is created; it must not exist unless Clean is set.
	Database string `json:"database,omitempty"`
	// Clean restores into a database that exists: the dump drops and
	// recreates each of its tables. An all-databases snapshot needs it,
	// since it replaces the databases of the same names.
	Clean bool `json:"clean,omitempty"`
}

// Driver implements source.Driver for MySQL and MariaDB.
type Driver struct{}

var _ source.Driver = Driver{}

// New returns the driver.
func New() Driver { return Driver{} }

// Kind returns arca.SourceMySQL.
func (Driver) Kind() arca.SourceKind { return arca.SourceMySQL }

// Validate checks the settings.
func (Driver) Validate(settings json.RawMessage) error {
	_, err := parse(settings)
	return err
}

// conn is where to connect, from the URL.
type conn struct {
	Host     string
	Port     int
	User     string
	Database string
}

type parsed struct {
	Settings
	conn conn
}

func parse(raw json.RawMessage) (parsed, error) {
	var p parsed
	if err := source.DecodeSettings(raw, &p.Settings); err != nil {
		return p, err
	}
	var bad []arca.FieldError
	switch p.Mode {
	case "":
		p.Mode = ModeDatabase
	case ModeDatabase, ModeAll:
	default:
		bad = append(bad, arca.FieldError{Field: "settings.mode", Message: `must be "database" or "all"`})
	}
	c, msg := parseURL(p.URL, p.Mode)
	if msg != "" {
		bad = append(bad, arca.FieldError{Field: "settings.url", Message: msg})
	}
	p.conn = c
	if p.BinDir != "" && !filepath.IsAbs(p.BinDir) {
		bad = append(bad, arca.FieldError{Field: "settings.bin_dir", Message: "must be an absolute path"})
	}
	return p, source.Invalid(bad...)
}

func parseURL(raw, mode string) (conn, string) {
	if raw == "" {
		return conn{}, "give the server's URL, such as mysql://user@host:3306/dbname"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "mysql" && u.Scheme != "mariadb") {
		return conn{}, "must be a URL such as mysql://user@host:3306/dbname"
	}
	if _, ok := u.User.Password(); ok {
		return conn{}, "holds a password: give it as the source's secret instead, which is stored encrypted"
	}
	if u.RawQuery != "" {
		return conn{}, "takes no query parameters"
	}
	c := conn{Host: u.Hostname(), Port: 3306, User: u.User.Username(), Database: strings.Trim(u.Path, "/")}
	if c.Host == "" {
		return c, "names no host"
	}
	if c.User == "" {
		return c, "names no user: mysql://user@host/dbname"
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return c, "has a bad port"
		}
		c.Port = n
	}
	if mode == ModeDatabase && c.Database == "" {
		return c, `names no database: add /dbname, or set mode "all"`
	}
	if strings.Contains(c.Database, "/") {
		return c, "names a database with a /"
	}
	return c, ""
}

// streamName is the snapshot file of a database-mode dump of db.
func streamName(db string) string { return url.PathEscape(db) + ".sql" }

// allName is the snapshot file of an all-databases dump.
const allName = "all-databases.sql"
