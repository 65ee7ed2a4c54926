package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
)

// TestTLSSelfSignedAndPinning: --tls auto serves HTTPS with a generated
// certificate whose fingerprint the server prints; a client pinning it
// connects, one pinning another is refused, and login pins it on first use.
func TestTLSSelfSignedAndPinning(t *testing.T) {
	ts := startServer(t, serverSetup{args: []string{"--tls", "auto"}})
	if !strings.HasPrefix(ts.URL, "https://") {
		t.Fatalf("--tls auto serves %s", ts.URL)
	}
	fp, err := apiclient.FetchFingerprint(context.Background(), ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ts.Stderr.String(), fp) {
		t.Errorf("the server did not print its fingerprint %s:\n%s", fp, ts.Stderr)
	}
	if fi, err := os.Stat(filepath.Join(ts.Data, "tls", "key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("TLS key file: %v, mode %v; want 0600", err, fi.Mode())
	}

	pinned, _ := apiclient.New(ts.URL, apiclient.Options{Token: ts.Token, Fingerprint: fp})
	if _, err := pinned.WhoAmI(context.Background()); err != nil {
		t.Errorf("client pinning the right fingerprint: %v", err)
	}
	wrongFP := strings.Repeat("AB:", 31) + "AB"
	wrong, _ := apiclient.New(ts.URL, apiclient.Options{Token: ts.Token, Fingerprint: wrongFP})
	_, err = wrong.WhoAmI(context.Background())
	if arca.ErrorCode(err) != arca.CodeUnverifiedPeer {
		t.Errorf("client pinning another fingerprint: %v, want UNVERIFIED_PEER", err)
	}
	unpinned, _ := apiclient.New(ts.URL, apiclient.Options{Token: ts.Token})
	if _, err := unpinned.WhoAmI(context.Background()); err == nil {
		t.Errorf("a client without a pin accepted a self-signed certificate")
	}

	c := newCLI(t)
	if _, _, code := c.run("", "login", ts.URL, "--token", ts.Token); code != ExitUsage {
		t.Errorf("non-interactive login without --fingerprint or --yes: exit %d, want %d", code, ExitUsage)
	}
	if out, stderr, code := c.run("y\n", "login", ts.URL, "--token", ts.Token); code != 0 || !strings.Contains(stderr, fp) {
		t.Fatalf("login confirming the fingerprint: exit %d\n%s%s", code, out, stderr)
	}
	cfg, err := os.ReadFile(c.env["ARCA_CONFIG"])
	want, _ := apiclient.NormalizeFingerprint(fp)
	if err != nil || !strings.Contains(string(cfg), want) {
		t.Errorf("stored config lacks the pinned fingerprint %s: %s (%v)", want, cfg, err)
	}
	if _, stderr, code := c.run("", "task", "list"); code != 0 {
		t.Errorf("task list over pinned TLS: exit %d %s", code, stderr)
	}
}
