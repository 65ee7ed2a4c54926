package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// serverConfig is the configuration of `arca server`. Each field is a flag;
// a flag not given on the command line comes from the environment variable
// ARCA_<FLAG NAME IN UPPER SNAKE CASE>, then from the config file (a JSON
// object keyed by flag name), then from its default.
type serverConfig struct {
	ConfigFile        string
	Listen            string
	Data              string
	Catalog           string
	TLS               string
	TLSCert           string
	TLSKey            string
	InsecurePlainHTTP bool
	Workers           int
	LogFormat         string
	LogLevel          string
	ShutdownTimeout   time.Duration
	MaxBodyBytes      int64
	CPUProfile        string
	RestoreRoots      []string
	FSRoots           []string
	AllowCommands     bool
	PruneDelay        time.Duration
	AdminUser         string
	AdminPasswordFile string
	SessionIdle       time.Duration
	SessionLifetime   time.Duration
}

func (c *serverConfig) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.ConfigFile, "config-file", "", "JSON file of settings keyed by flag name (flags and ARCA_* variables win)")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8420", "address to listen on")
	fs.StringVar(&c.Data, "data", "./arca-data", "data directory (created 0700; one server per directory)")
	fs.StringVar(&c.Catalog, "catalog", "", "catalog: a SQLite file path (default <data>/catalog.db) or a postgres:// URL")
	fs.StringVar(&c.TLS, "tls", "", "\"auto\": serve HTTPS with a self-signed certificate kept in <data>/tls (the default when not listening on loopback)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate (chain) to serve HTTPS with")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&c.InsecurePlainHTTP, "insecure-plain-http", false, "allow plain HTTP on a non-loopback address (tokens travel in clear)")
	fs.IntVar(&c.Workers, "workers", 4, "tasks this process runs at once")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long running tasks get to finish before they are interrupted")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 1<<20, "largest request body accepted")
	fs.StringSliceVar(&c.RestoreRoots, "restore-root", nil, "directory restores may write under (repeat, or separate with commas; default <data>/restores)")
	fs.StringSliceVar(&c.FSRoots, "fs-root", nil, "directory fs sources may back up (repeat, or separate with commas; default: anywhere the server can read — restrict it on a server shared by tenants)")
	fs.BoolVar(&c.AllowCommands, "allow-command-sources", false, "allow sources of kind command: they run any program as the server's user, with the rights of whoever may create or restore them")
	fs.DurationVar(&c.PruneDelay, "prune-delay", 0, "prune's safety delay between marking unused data and deleting it (default 24h)")
	fs.StringVar(&c.AdminUser, "admin-user", "", "on first start, create this admin user (password from ARCA_ADMIN_PASSWORD or --admin-password-file)")
	fs.StringVar(&c.AdminPasswordFile, "admin-password-file", "", "file holding the password of --admin-user")
	fs.DurationVar(&c.SessionIdle, "session-idle", 0, "a login session ends after this long without a request (default 30m)")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", 0, "a login session ends this long after the login (default 12h)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	_ = fs.MarkHidden("cpuprofile")
}

// envName returns the environment variable of a flag: listen -> ARCA_LISTEN.
func envName(flag string) string {
	return "ARCA_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// layer fills the flags not set on the command line from the environment,
// then from the config file.
func layer(fs *pflag.FlagSet, getenv func(string) string) error {
	file := map[string]any{}
	path := fs.Lookup("config-file").Value.String()
	if !fs.Changed("config-file") {
		path = getenv(envName("config-file"))
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return usageError{fmt.Errorf("read config file: %w", err)}
		}
		if err := json.Unmarshal(b, &file); err != nil {
			return usageError{fmt.Errorf("config file %s is not a JSON object: %w", path, err)}
		}
	}
	for name := range file {
		if fs.Lookup(name) == nil || name == "config-file" {
			return usageError{fmt.Errorf("config file %s: unknown setting %q (settings are named like the flags)", path, name)}
		}
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		v, ok := getenv(envName(f.Name)), true
		if v == "" {
			var raw any
			if raw, ok = file[f.Name]; ok {
				v = fmt.Sprint(raw)
			}
		}
		if ok && v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = usageError{fmt.Errorf("setting %s=%q: %w", f.Name, v, e)}
			}
		}
	})
	return err
}
