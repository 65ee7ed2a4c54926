package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/sqlite"
)

// countingStore is the real SQLite catalog, counting the token lookups
// that reach it.
type countingStore struct {
	catalog.TokenStore
	gets, touches atomic.Int64
}

func (c *countingStore) GetToken(ctx context.Context, id string) (arca.APIToken, error) {
	c.gets.Add(1)
	return c.TokenStore.GetToken(ctx, id)
}

func (c *countingStore) TouchToken(ctx context.Context, id string, t time.Time) error {
	c.touches.Add(1)
	return c.TokenStore.TouchToken(ctx, id, t)
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openStore(t *testing.T) *countingStore {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &countingStore{TokenStore: db}
}

func TestParseToken(t *testing.T) {
	plain, tok, err := NewToken("default", "t", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id, secret, err := ParseToken(plain)
	if err != nil || id != tok.ID || !cmp.Equal(HashSecret(secret), tok.SecretHash) {
		t.Fatalf("ParseToken(NewToken) = %q, %v; want id %q and the stored hash", id, err, tok.ID)
	}
	for _, bad := range []string{"", "arca_", "token", "arca_notanid_" + strings.Repeat("a", 52),
		"arca_" + tok.ID, "arca_" + tok.ID + "_short", "arca_" + tok.ID + "_" + strings.Repeat("A", 52),
		strings.Replace(plain, "arca_", "acra_", 1)} {
		if _, _, err := ParseToken(bad); arca.ErrorCode(err) != arca.CodeInvalidArgument {
			t.Errorf("ParseToken(%q) = %v, want INVALID_ARGUMENT", bad, err)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	plain, tok, _ := NewToken("acme", "ci", []arca.Role{arca.RoleOperator}, clk.t)
	if err := store.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a := New(store, Options{Now: clk.now})

	p, err := a.Authenticate(ctx, plain)
	want := arca.Principal{ID: tok.ID, Kind: "token", Name: "ci", Tenant: "acme", Roles: []arca.Role{arca.RoleOperator}}
	if diff := cmp.Diff(want, p); err != nil || diff != "" {
		t.Fatalf("Authenticate: %v (-want +got):\n%s", err, diff)
	}
	id, _, _ := ParseToken(plain)
	other, _, _ := NewToken("acme", "x", nil, clk.t)
	_, otherSecret, _ := ParseToken(other)
	for name, bad := range map[string]string{
		"wrong secret":  "arca_" + id + "_" + otherSecret,
		"unknown token": other,
		"malformed":     "hunter2",
	} {
		if _, err := a.Authenticate(ctx, bad); arca.ErrorCode(err) != arca.CodeUnauthenticated {
			t.Errorf("%s: %v, want UNAUTHENTICATED", name, err)
		}
	}
}

func TestAuthenticateCachesAndTouchesRarely(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	plain, tok, _ := NewToken("default", "ci", nil, clk.t)
	if err := store.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a := New(store, Options{Now: clk.now, CacheTTL: 30 * time.Second, TouchEvery: time.Minute})
	for i := range 100 {
		clk.t = clk.t.Add(100 * time.Millisecond) // 10 s in all
		if _, err := a.Authenticate(ctx, plain); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if g, tc := store.gets.Load(), store.touches.Load(); g != 1 || tc != 1 {
		t.Errorf("100 calls in 10 s: %d lookups, %d touches; want 1 and 1", g, tc)
	}
	clk.t = clk.t.Add(31 * time.Second)
	if _, err := a.Authenticate(ctx, plain); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(30 * time.Second)
	if _, err := a.Authenticate(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if g, tc := store.gets.Load(), store.touches.Load(); g != 3 || tc != 2 {
		t.Errorf("after the cache expired twice and a minute passed: %d lookups, %d touches; want 3 and 2", g, tc)
	}
	got, err := store.GetToken(ctx, tok.ID)
	if err != nil || got.LastUsedAt == nil {
		t.Errorf("last use not recorded: %+v, %v", got.LastUsedAt, err)
	}
}

func TestExpiredTokenRefused(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	plain, tok, _ := NewToken("default", "ci", nil, clk.t)
	exp := clk.t.Add(time.Hour)
	tok.ExpiresAt = &exp
	if err := store.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a := New(store, Options{Now: clk.now})
	if _, err := a.Authenticate(ctx, plain); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	clk.t = exp.Add(time.Second)
	if _, err := a.Authenticate(ctx, plain); arca.ErrorCode(err) != arca.CodeUnauthenticated {
		t.Errorf("after expiry: %v, want UNAUTHENTICATED", err)
	}
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	store := openStore(t)
	plain, err := Bootstrap(ctx, store, "", now)
	if err != nil || plain == "" {
		t.Fatalf("first start: %q, %v; want a generated token", plain, err)
	}
	p, err := New(store, Options{}).Authenticate(ctx, plain)
	if err != nil || !p.HasRole(arca.RoleAdmin) || p.Tenant != arca.DefaultTenant {
		t.Errorf("bootstrap token: %+v, %v; want an admin of the default tenant", p, err)
	}
	again, err := Bootstrap(ctx, store, "", now)
	if err != nil || again != "" {
		t.Errorf("second start: %q, %v; want nothing created", again, err)
	}

	given, _, _ := NewToken("x", "y", nil, now)
	store2 := openStore(t)
	if out, err := Bootstrap(ctx, store2, given, now); err != nil || out != "" {
		t.Fatalf("with ARCA_ADMIN_TOKEN: %q, %v", out, err)
	}
	if _, err := New(store2, Options{}).Authenticate(ctx, given); err != nil {
		t.Errorf("the given admin token does not authenticate: %v", err)
	}
	if _, err := Bootstrap(ctx, openStore(t), "not-a-token", now); !errors.Is(err, arca.ErrInvalidArgument) {
		t.Errorf("malformed ARCA_ADMIN_TOKEN: %v, want INVALID_ARGUMENT", err)
	}
}

func TestRoles(t *testing.T) {
	p := func(tenant string, roles ...arca.Role) arca.Principal {
		return arca.Principal{Tenant: tenant, Roles: roles}
	}
	tests := []struct {
		name   string
		p      arca.Principal
		action Action
		tenant string
		ok     bool
	}{
		{"admin anywhere", p("default", arca.RoleAdmin), ActionTaskDelete, "acme", true},
		{"admin system", p("default", arca.RoleAdmin), ActionSystem, "", true},
		{"viewer reads", p("acme", arca.RoleViewer), ActionTaskRead, "acme", true},
		{"viewer cancels", p("acme", arca.RoleViewer), ActionTaskCancel, "acme", false},
		{"operator cancels", p("acme", arca.RoleOperator), ActionTaskCancel, "acme", true},
		{"tenant-admin deletes", p("acme", arca.RoleTenantAdmin), ActionTaskDelete, "acme", true},
		{"other tenant", p("acme", arca.RoleTenantAdmin), ActionTaskRead, "globex", false},
		{"system needs admin", p("acme", arca.RoleTenantAdmin), ActionSystem, "", false},
		{"no role", p("acme"), ActionTaskRead, "acme", false},
		{"unknown action", p("acme", arca.RoleTenantAdmin), Action("x.y"), "acme", false},
	}
	for _, tt := range tests {
		err := Roles{}.Authorize(tt.p, tt.action, tt.tenant)
		if (err == nil) != tt.ok || (err != nil && arca.ErrorCode(err) != arca.CodePermissionDenied) {
			t.Errorf("%s: %v, want allowed=%v", tt.name, err, tt.ok)
		}
	}
}
