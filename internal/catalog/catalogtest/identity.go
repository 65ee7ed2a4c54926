package catalogtest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

var identityTests = []test{
	{"Tenants", testTenants},
	{"TenantDeleteRefused", testTenantDeleteRefused},
	{"Users", testUsers},
	{"UsersRefused", testUsersRefused},
	{"Sessions", testSessions},
	{"TokensListRevoke", testTokensListRevoke},
}

func testTenants(t *testing.T, open Opener) {
	e := newEnv(t, open)
	def, err := e.s.GetTenant(e.ctx, arca.DefaultTenant)
	if err != nil || def.ID != arca.DefaultTenant {
		t.Fatalf("the default tenant: %+v, %v", def, err)
	}
	acme := arca.Tenant{ID: "acme", Name: "Acme Corp", CreatedAt: e.tick()}
	if err := e.s.CreateTenant(e.ctx, acme); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	wantError(t, e.s.CreateTenant(e.ctx, acme), arca.CodeAlreadyExists, "acme")
	wantError(t, e.s.CreateTenant(e.ctx, arca.Tenant{ID: "Bad Id"}), arca.CodeInvalidArgument)
	got, err := e.s.GetTenant(e.ctx, "acme")
	acme.CreatedAt = utc(acme.CreatedAt)
	if d := cmp.Diff(acme, got); err != nil || d != "" {
		t.Errorf("GetTenant: %v (-want +got):\n%s", err, d)
	}
	list, err := e.s.ListTenants(e.ctx)
	if err != nil || len(list) != 2 || list[0].ID != "acme" || list[1].ID != arca.DefaultTenant {
		t.Errorf("ListTenants = %+v, %v; want acme, default", list, err)
	}
	if err := e.s.DeleteTenant(e.ctx, "acme"); err != nil {
		t.Fatalf("DeleteTenant of an empty tenant: %v", err)
	}
	_, err = e.s.GetTenant(e.ctx, "acme")
	wantError(t, err, arca.CodeNotFound, "acme")
	wantError(t, e.s.DeleteTenant(e.ctx, "acme"), arca.CodeNotFound, "acme")
	wantError(t, e.s.DeleteTenant(e.ctx, arca.DefaultTenant), arca.CodeNotAllowedInState)
}

func testTenantDeleteRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	for _, id := range []string{"withuser", "withtoken"} {
		if err := e.s.CreateTenant(e.ctx, arca.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	e.user("withuser", "alice")
	if err := e.s.CreateToken(e.ctx, arca.APIToken{ID: arca.NewID(e.tick()), Tenant: "withtoken", Name: "ci",
		SecretHash: []byte("h"), CreatedAt: e.now}); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.s.DeleteTenant(e.ctx, "withuser"), arca.CodeFeatureInUse, "users")
	wantError(t, e.s.DeleteTenant(e.ctx, "withtoken"), arca.CodeFeatureInUse, "API tokens")
}

// user creates a user of tenant with the role operator.
func (e *env) user(tenant, name string) arca.User {
	e.t.Helper()
	u := arca.User{ID: arca.NewID(e.tick()), Tenant: tenant, Username: name, Roles: []arca.Role{arca.RoleOperator},
		PasswordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", CreatedAt: e.now}
	if err := e.s.CreateUser(e.ctx, u); err != nil {
		e.t.Fatalf("CreateUser(%s): %v", name, err)
	}
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.CreatedAt)
	return u
}

func testUsers(t *testing.T, open Opener) {
	e := newEnv(t, open)
	if err := e.s.CreateTenant(e.ctx, arca.Tenant{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	alice := e.user(arca.DefaultTenant, "alice")
	bob := e.user("acme", "bob@acme.example")
	carol := e.user("acme", "carol")
	for _, u := range []arca.User{alice, bob} {
		byID, err := e.s.GetUser(e.ctx, u.ID)
		if d := cmp.Diff(u, byID); err != nil || d != "" {
			t.Errorf("GetUser(%s): %v (-want +got):\n%s", u.Username, err, d)
		}
		byName, err := e.s.GetUserByName(e.ctx, u.Username)
		if d := cmp.Diff(u, byName); err != nil || d != "" {
			t.Errorf("GetUserByName(%s): %v (-want +got):\n%s", u.Username, err, d)
		}
	}
	list, err := e.s.ListUsers(e.ctx, catalog.UserFilter{Tenant: "acme"})
	if d := cmp.Diff([]arca.User{bob, carol}, list); err != nil || d != "" {
		t.Errorf("ListUsers(acme): %v (-want +got):\n%s", err, d)
	}
	page, err := e.s.ListUsers(e.ctx, catalog.UserFilter{After: alice.ID, Limit: 1})
	if d := cmp.Diff([]arca.User{bob}, page); err != nil || d != "" {
		t.Errorf("ListUsers(after alice, limit 1): %v (-want +got):\n%s", err, d)
	}
	bob.Roles, bob.PasswordHash, bob.Disabled, bob.UpdatedAt = []arca.Role{arca.RoleTenantAdmin}, "$argon2id$new", true, utc(e.tick())
	if err := e.s.UpdateUser(e.ctx, bob); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if got, err := e.s.GetUser(e.ctx, bob.ID); err != nil || cmp.Diff(bob, got) != "" {
		t.Errorf("after UpdateUser: %v (-want +got):\n%s", err, cmp.Diff(bob, got))
	}
	if n, err := e.s.CountUsers(e.ctx); err != nil || n != 3 {
		t.Errorf("CountUsers = %d, %v; want 3", n, err)
	}
	if err := e.s.DeleteUser(e.ctx, carol.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = e.s.GetUser(e.ctx, carol.ID)
	wantError(t, err, arca.CodeNotFound)
	wantError(t, e.s.DeleteUser(e.ctx, carol.ID), arca.CodeNotFound)
}

func testUsersRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	alice := e.user(arca.DefaultTenant, "alice")
	dup := alice
	dup.ID = arca.NewID(e.tick())
	wantError(t, e.s.CreateUser(e.ctx, dup), arca.CodeAlreadyExists, "alice")
	ghost := arca.User{Tenant: "ghost", Username: "ghosty", Roles: []arca.Role{arca.RoleViewer}, PasswordHash: "x"}
	wantError(t, e.s.CreateUser(e.ctx, ghost), arca.CodeNotFound, "ghost")
	for name, u := range map[string]arca.User{
		"bad name":    {Username: "Alice Smith", Roles: []arca.Role{arca.RoleViewer}, PasswordHash: "x"},
		"no roles":    {Username: "dave", PasswordHash: "x"},
		"bad role":    {Username: "dave", Roles: []arca.Role{"root"}, PasswordHash: "x"},
		"no password": {Username: "dave", Roles: []arca.Role{arca.RoleViewer}},
	} {
		if err := e.s.CreateUser(e.ctx, u); arca.ErrorCode(err) != arca.CodeInvalidArgument {
			t.Errorf("%s: %v, want INVALID_ARGUMENT", name, err)
		}
	}
	_, err := e.s.GetUserByName(e.ctx, "nobody")
	wantError(t, err, arca.CodeNotFound)
	wantError(t, e.s.UpdateUser(e.ctx, arca.User{ID: arca.NewID(e.tick()), Roles: []arca.Role{arca.RoleViewer}}), arca.CodeNotFound)
}

func testSessions(t *testing.T, open Opener) {
	e := newEnv(t, open)
	alice := e.user(arca.DefaultTenant, "alice")
	bob := e.user(arca.DefaultTenant, "bob")
	start := e.tick()
	mk := func(user string, expires time.Duration) arca.Session {
		s := arca.Session{ID: arca.NewID(e.tick()), UserID: user, SecretHash: []byte{1, 2, 3},
			CreatedAt: start, LastSeenAt: start, ExpiresAt: start.Add(expires)}
		if err := e.s.CreateSession(e.ctx, s); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = utc(s.CreatedAt), utc(s.LastSeenAt), utc(s.ExpiresAt)
		return s
	}
	s1, s2, s3 := mk(alice.ID, time.Hour), mk(alice.ID, 12*time.Hour), mk(bob.ID, 12*time.Hour)
	got, err := e.s.GetSession(e.ctx, s1.ID)
	if d := cmp.Diff(s1, got); err != nil || d != "" {
		t.Errorf("GetSession: %v (-want +got):\n%s", err, d)
	}
	seen := start.Add(40 * time.Minute)
	if err := e.s.TouchSession(e.ctx, s2.ID, seen); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}
	if got, _ := e.s.GetSession(e.ctx, s2.ID); !got.LastSeenAt.Equal(utc(seen)) {
		t.Errorf("last seen = %v, want %v", got.LastSeenAt, utc(seen))
	}
	// At start+61m with 30 min idle: s1 expired (absolute), s3 idle, s2 alive.
	n, err := e.s.DeleteStaleSessions(e.ctx, start.Add(61*time.Minute), 30*time.Minute)
	if err != nil || n != 2 {
		t.Errorf("DeleteStaleSessions = %d, %v; want 2", n, err)
	}
	for id, alive := range map[string]bool{s1.ID: false, s2.ID: true, s3.ID: false} {
		if _, err := e.s.GetSession(e.ctx, id); (err == nil) != alive {
			t.Errorf("session %s: %v, want alive=%v", id, err, alive)
		}
	}
	s4 := mk(alice.ID, time.Hour)
	if n, err := e.s.DeleteUserSessions(e.ctx, alice.ID); err != nil || n != 2 {
		t.Errorf("DeleteUserSessions = %d, %v; want 2", n, err)
	}
	wantError(t, e.s.DeleteSession(e.ctx, s4.ID), arca.CodeNotFound)
	s5 := mk(bob.ID, time.Hour)
	if err := e.s.DeleteUser(e.ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetSession(e.ctx, s5.ID)
	wantError(t, err, arca.CodeNotFound)
	wantError(t, e.s.CreateSession(e.ctx, arca.Session{ID: arca.NewID(e.tick()), UserID: bob.ID, SecretHash: []byte{1},
		CreatedAt: e.now, ExpiresAt: e.now.Add(time.Hour)}), arca.CodeNotFound)
	wantError(t, e.s.TouchSession(e.ctx, s5.ID, e.tick()), arca.CodeNotFound)
}

func testTokensListRevoke(t *testing.T, open Opener) {
	e := newEnv(t, open)
	var acme []arca.APIToken
	for i, tenant := range []string{"acme", "globex", "acme", "acme"} {
		tok := arca.APIToken{ID: arca.NewID(e.tick()), Tenant: tenant, Name: "t" + string(rune('a'+i)),
			Roles: []arca.Role{arca.RoleViewer}, SecretHash: []byte("h"), CreatedAt: e.now}
		if err := e.s.CreateToken(e.ctx, tok); err != nil {
			t.Fatal(err)
		}
		if tenant == "acme" {
			tok.CreatedAt = utc(tok.CreatedAt)
			acme = append(acme, tok)
		}
	}
	got, err := e.s.ListTokens(e.ctx, catalog.TokenFilter{Tenant: "acme"})
	if d := cmp.Diff(acme, got); err != nil || d != "" {
		t.Errorf("ListTokens(acme): %v (-want +got):\n%s", err, d)
	}
	got, err = e.s.ListTokens(e.ctx, catalog.TokenFilter{Tenant: "acme", After: acme[0].ID, Limit: 1})
	if d := cmp.Diff(acme[1:2], got); err != nil || d != "" {
		t.Errorf("ListTokens(page 2): %v (-want +got):\n%s", err, d)
	}
	if all, err := e.s.ListTokens(e.ctx, catalog.TokenFilter{}); err != nil || len(all) != 4 {
		t.Errorf("ListTokens() = %d tokens, %v; want 4", len(all), err)
	}
	first := e.tick()
	if err := e.s.RevokeToken(e.ctx, acme[0].ID, first); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if err := e.s.RevokeToken(e.ctx, acme[0].ID, e.tick()); err != nil {
		t.Fatalf("RevokeToken again: %v", err)
	}
	tok, err := e.s.GetToken(e.ctx, acme[0].ID)
	if err != nil || tok.RevokedAt == nil || !tok.RevokedAt.Equal(utc(first)) {
		t.Errorf("revoked at %v, %v; want the first revocation %v", tok.RevokedAt, err, utc(first))
	}
	wantError(t, e.s.RevokeToken(e.ctx, arca.NewID(e.tick()), e.now), arca.CodeNotFound)
}
