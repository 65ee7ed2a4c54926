package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func TestConfigLayering(t *testing.T) {
	file := filepath.Join(t.TempDir(), "arca.json")
	if err := os.WriteFile(file, []byte(`{"listen": "0.0.0.0:1", "workers": 7, "log-format": "json", "data": "/from/file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var c serverConfig
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	c.flags(fs)
	if err := fs.Parse([]string{"--config-file", file, "--listen", "127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ARCA_WORKERS": "9", "ARCA_SHUTDOWN_TIMEOUT": "5s"}
	if err := layer(fs, envFunc(env)); err != nil {
		t.Fatal(err)
	}
	want := serverConfig{ConfigFile: file, Listen: "127.0.0.1:2", Data: "/from/file", Workers: 9, LogFormat: "json",
		LogLevel: "info", ShutdownTimeout: 5 * time.Second, MaxBodyBytes: 1 << 20}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("flag > env > file > default (-want +got):\n%s", diff)
	}
}

func TestConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"unknown setting": `{"listne": "x"}`, "not json": `listen = "x"`, "bad value": `{"workers": "many"}`} {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var c serverConfig
		fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
		c.flags(fs)
		if err := fs.Parse([]string{"--config-file", file}); err != nil {
			t.Fatal(err)
		}
		if err := layer(fs, envFunc(nil)); ExitCode(err) != ExitUsage {
			t.Errorf("%s: %v (exit %d), want a usage error", name, err, ExitCode(err))
		}
	}
}

func TestDataDirLocked(t *testing.T) {
	ts := startServer(t, serverSetup{data: filepath.Join(t.TempDir(), "new", "data")})
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: envFunc(nil), Now: time.Now}
	err := m.Run(context.Background(), []string{"server", "--listen", "127.0.0.1:0", "--data", ts.Data})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second server on the same data dir: %v, want it refused", err)
	}
	fi, err := os.Stat(ts.Data)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v (%v), want 0700", fi.Mode(), err)
	}
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	tests := []struct {
		listen, tls string
		insecure    bool
		wantTLS     bool
	}{
		{"127.0.0.1:0", "", false, false},
		{"[::1]:0", "", false, false},
		{"localhost:0", "", false, false},
		{"0.0.0.0:0", "", false, true},
		{"192.0.2.1:0", "", true, false},
		{"127.0.0.1:0", "auto", false, true},
	}
	for _, tt := range tests {
		p, err := planTLS(serverConfig{Listen: tt.listen, TLS: tt.tls, InsecurePlainHTTP: tt.insecure, Data: t.TempDir()}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := p.config != nil; got != tt.wantTLS {
			t.Errorf("listen %s tls %q insecure %v: TLS %v, want %v", tt.listen, tt.tls, tt.insecure, got, tt.wantTLS)
		}
	}
}

func TestSQLiteCatalogOutsideDataLocked(t *testing.T) {
	cat := filepath.Join(t.TempDir(), "shared.db")
	startServer(t, serverSetup{args: []string{"--catalog", cat}})
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: envFunc(nil), Now: time.Now}
	err := m.Run(context.Background(), []string{"server", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--catalog", cat})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second server on the same SQLite catalog: %v, want it refused", err)
	}
}
