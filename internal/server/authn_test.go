package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
)

// TestNothingReachableWithoutCredentials: every route but health, the
// OpenAPI document and the login answers 401 without a valid credential:
// none, malformed, forged, revoked, expired, or a logged-out session.
func TestNothingReachableWithoutCredentials(t *testing.T) {
	e := newMatrix(t)
	clk := time.Now()
	good, tok, err := e.ident.CreateToken(e.ctx, e.boss, auth.NewAPIToken{Name: "x", Roles: []arca.Role{arca.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	revoked, rtok, _ := e.ident.CreateToken(e.ctx, e.boss, auth.NewAPIToken{Name: "r", Roles: []arca.Role{arca.RoleAdmin}})
	if err := e.ident.RevokeToken(e.ctx, e.boss, rtok); err != nil {
		t.Fatal(err)
	}
	id, _, _ := auth.ParseToken(good)
	_, otherSecret, _ := auth.ParseToken(revoked)
	e.user(arca.DefaultTenant)
	u, _ := e.db.ListUsers(e.ctx, userFilterAll())
	session := e.login(t, u[0].Username)
	if w := e.do("DELETE", loginPath, session, ""); w.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	bad := map[string]string{
		"none":               "",
		"malformed":          "hunter2",
		"malformed session":  "arcs_nope",
		"forged secret":      "arca_" + id + "_" + otherSecret,
		"forged id":          strings.Replace(good, id, arca.NewID(clk), 1),
		"revoked":            revoked,
		"logged-out session": session,
	}
	for _, r := range routes(e.srv.API()) {
		path := strings.ReplaceAll(r.path, "{id}", tok.ID)
		if public[r.String()] {
			continue
		}
		for name, cred := range bad {
			w := e.do(r.method, path, cred, bodyFor(r))
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s with %s credentials: %d %s, want 401 with WWW-Authenticate", r, name, w.Code, w.Body)
			}
		}
	}
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/openapi.json"} {
		if w := e.do("GET", p, "", ""); w.Code != http.StatusOK {
			t.Errorf("GET %s without credentials: %d, want 200", p, w.Code)
		}
	}
	if w := e.do("POST", loginPath, "", `{"username":"nobody","password":"nothing at all"}`); w.Code != http.StatusUnauthorized {
		t.Errorf("login with wrong credentials: %d %s, want 401", w.Code, w.Body)
	}
}

// TestExpiredTokenRefusedByServer: a token past its expiry answers 401.
func TestExpiredTokenRefusedByServer(t *testing.T) {
	e := newMatrix(t)
	now := time.Now()
	clock := &now
	ident := auth.NewService(e.db, auth.ServiceOptions{Now: func() time.Time { return *clock }})
	e.srv = New(Options{Tasks: e.tasks, Auth: ident, Identity: ident, Directory: e.db, Ready: e.db})
	exp := now.Add(time.Hour)
	plain, _, err := ident.CreateToken(e.ctx, e.boss, auth.NewAPIToken{Name: "e", Roles: []arca.Role{arca.RoleViewer}, ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	if w := e.do("GET", "/api/v1/whoami", plain, ""); w.Code != http.StatusOK {
		t.Fatalf("before expiry: %d %s", w.Code, w.Body)
	}
	later := exp.Add(time.Second)
	clock = &later
	if w := e.do("GET", "/api/v1/whoami", plain, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("after expiry: %d %s, want 401", w.Code, w.Body)
	}
}

// TestViewerChangesNothing: whatever the permission table says, a viewer
// is refused every state-changing route (logging out aside).
func TestViewerChangesNothing(t *testing.T) {
	e := newMatrix(t)
	viewer := e.credential("acme", arca.RoleViewer)
	for _, r := range routes(e.srv.API()) {
		if !stateChanging(r.method) || public[r.String()] || r.action == auth.ActionLogout {
			continue
		}
		path, _, ok := e.concrete(t, r, "acme")
		if !ok {
			continue
		}
		if w := e.do(r.method, path, viewer, bodyFor(r)); w.Code != http.StatusForbidden {
			t.Errorf("%s as viewer: %d %s, want 403", r, w.Code, w.Body)
		}
	}
}
