package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// TestCLIIdentity: an unattended install's first admin logs in with a
// password, creates a tenant, a user and a token; the token works until it
// is revoked; the user logs in; no password or secret reaches the server's
// output; the audit log holds the changes.
func TestCLIIdentity(t *testing.T) {
	const rootPassword = "first-chief-phrase-q7w3"
	const bobPassword = "operator-robert-phrase-r4t6"
	ts := startServer(t, serverSetup{args: []string{"--admin-user", "root"}, env: map[string]string{"ARCA_ADMIN_PASSWORD": rootPassword}})
	admin := newCLI(t)
	admin.env["ARCA_PASSWORD"] = rootPassword
	run := func(c *cli, want int, args ...string) string {
		t.Helper()
		out, stderr, code := c.run("", args...)
		if code != want {
			t.Fatalf("arca %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, stderr)
		}
		return out
	}
	if out := run(admin, 0, "login", ts.URL, "--user", "root"); !strings.Contains(out, "as root") {
		t.Fatalf("login: %s", out)
	}
	run(admin, 0, "tenant", "add", "acme", "--name", "Acme Corp")
	if out := run(admin, 0, "tenant", "ls"); !strings.Contains(out, "Acme Corp") {
		t.Errorf("tenant ls: %s", out)
	}
	admin.env["ARCA_NEW_PASSWORD"] = bobPassword
	run(admin, 0, "user", "add", "bob", "--tenant", "acme", "--role", "operator")
	admin.env["ARCA_NEW_PASSWORD"] = "short"
	run(admin, ExitError, "user", "add", "carol", "--tenant", "acme") // too weak: INVALID_ARGUMENT
	secret := strings.TrimSpace(run(admin, 0, "token", "create", "ci", "--role", "viewer", "--expires", "30d"))
	if !strings.HasPrefix(secret, "arca_") {
		t.Fatalf("token create printed %q", secret)
	}
	var tokens []serverapi.Token
	if err := json.Unmarshal([]byte(run(admin, 0, "token", "ls", "--json")), &tokens); err != nil {
		t.Fatal(err)
	}
	var ciID string
	for _, tok := range tokens {
		if tok.Name == "ci" && tok.ExpiresAt != nil {
			ciID = tok.ID
		}
	}
	if ciID == "" {
		t.Fatalf("token ls: no ci token with an expiry in %+v", tokens)
	}

	bot := newCLI(t)
	run(bot, 0, "login", ts.URL, "--token", secret)
	run(bot, 0, "task", "list")
	run(bot, ExitAuth, "user", "ls") // a viewer may not list users
	run(admin, 0, "token", "revoke", ciID)
	run(bot, ExitAuth, "task", "list")

	bob := newCLI(t)
	bob.env["ARCA_PASSWORD"] = bobPassword
	if out := run(bob, 0, "login", ts.URL, "--user", "bob"); !strings.Contains(out, "tenant acme") {
		t.Errorf("bob's login: %s", out)
	}
	run(bob, 0, "task", "list")
	raw, err := os.ReadFile(bob.env["ARCA_CONFIG"])
	var conf clientConfig
	if err != nil || json.Unmarshal(raw, &conf) != nil || !strings.HasPrefix(conf.Token, "arcs_") {
		t.Fatalf("bob's config: %s, %v; want a session token", raw, err)
	}
	run(bob, 0, "logout")
	run(bob, ExitAuth, "task", "list")
	ended, _ := apiclient.New(ts.URL, apiclient.Options{Token: conf.Token})
	if _, err := ended.WhoAmI(context.Background()); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("the session after logout: %v, want UNAUTHENTICATED", err)
	}
	bob.env["ARCA_PASSWORD"] = "not bobs password"
	run(bob, ExitAuth, "login", ts.URL, "--user", "bob")

	c, err := apiclient.New(ts.URL, apiclient.Options{Token: ts.Token})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := c.ListAudit(context.Background(), apiclient.AuditFilter{Limit: 1000}, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range audit.Items {
		seen[e.Action] = true
	}
	for _, a := range []string{"session.create", "tenant.write", "user.write", "token.write"} {
		if !seen[a] {
			t.Errorf("no audit entry of %s in %+v", a, audit.Items)
		}
	}
	b, _ := json.Marshal(audit)
	for name, s := range map[string]string{"root's password": rootPassword, "bob's password": bobPassword,
		"token secret": secret[strings.LastIndex(secret, "_")+1:]} {
		if strings.Contains(ts.Stderr.String(), s) || strings.Contains(string(b), s) {
			t.Errorf("%s appears in the server's output or audit log", name)
		}
	}
}
