package catalogtest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
)

var tokenTests = []test{
	{"CRUD", testTokenCRUD},
	{"Minimal", testTokenMinimal},
	{"Refused", testTokenRefused},
}

func testTokenCRUD(t *testing.T, open Opener) {
	e := newEnv(t, open)
	if n, err := e.s.CountTokens(e.ctx); err != nil || n != 0 {
		t.Fatalf("CountTokens of an empty catalog = %d, %v", n, err)
	}
	in := arca.APIToken{
		ID:         "tok-1",
		Tenant:     "acme",
		Name:       "ci pipeline",
		Roles:      []arca.Role{arca.RoleOperator, arca.RoleViewer},
		SecretHash: []byte{0, 1, 2, 0xfe, 0xff},
		CreatedAt:  e.tick(),
		ExpiresAt:  ptr(e.now.Add(90 * 24 * time.Hour)),
	}
	if err := e.s.CreateToken(e.ctx, in); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	want := in
	want.CreatedAt, want.ExpiresAt = utc(in.CreatedAt), ptr(utc(*in.ExpiresAt))
	got, err := e.s.GetToken(e.ctx, in.ID)
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetToken (-want +got):\n%s", d)
	}
	if got.CreatedAt.Location() != time.UTC || got.ExpiresAt.Location() != time.UTC {
		t.Errorf("token times in %v and %v, want UTC", got.CreatedAt.Location(), got.ExpiresAt.Location())
	}
	used := e.tick()
	if err := e.s.TouchToken(e.ctx, in.ID, used); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	want.LastUsedAt = ptr(utc(used))
	if got, err := e.s.GetToken(e.ctx, in.ID); err != nil || cmp.Diff(want, got) != "" {
		t.Errorf("GetToken after touch = %v; (-want +got):\n%s", err, cmp.Diff(want, got))
	}
	revoked := in
	revoked.ID, revoked.RevokedAt, revoked.LastUsedAt = "tok-2", ptr(e.tick()), ptr(e.tick())
	if err := e.s.CreateToken(e.ctx, revoked); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	got, err = e.s.GetToken(e.ctx, "tok-2")
	if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(utc(*revoked.RevokedAt)) ||
		got.LastUsedAt == nil || !got.LastUsedAt.Equal(utc(*revoked.LastUsedAt)) {
		t.Errorf("revoked token = %+v, %v", got, err)
	}
	if n, err := e.s.CountTokens(e.ctx); err != nil || n != 2 {
		t.Errorf("CountTokens = %d, %v; want 2", n, err)
	}
}

func testTokenMinimal(t *testing.T, open Opener) {
	e := newEnv(t, open)
	in := arca.APIToken{ID: "bootstrap", Tenant: arca.DefaultTenant, Name: "bootstrap",
		Roles: []arca.Role{arca.RoleAdmin}, SecretHash: []byte("h"), CreatedAt: e.tick()}
	if err := e.s.CreateToken(e.ctx, in); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	got, err := e.s.GetToken(e.ctx, in.ID)
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	in.CreatedAt = utc(in.CreatedAt)
	if d := cmp.Diff(in, got); d != "" {
		t.Errorf("GetToken (-want +got):\n%s", d)
	}
}

func testTokenRefused(t *testing.T, open Opener) {
	e := newEnv(t, open)
	tok := arca.APIToken{ID: "tok-1", Tenant: "acme", Name: "a", SecretHash: []byte("h"), CreatedAt: e.tick()}
	if err := e.s.CreateToken(e.ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	tok.Name = "b"
	wantError(t, e.s.CreateToken(e.ctx, tok), arca.CodeAlreadyExists, "tok-1")
	if got, err := e.s.GetToken(e.ctx, "tok-1"); err != nil || got.Name != "a" {
		t.Errorf("the first token changed: %+v, %v", got, err)
	}
	_, err := e.s.GetToken(e.ctx, "nope")
	wantError(t, err, arca.CodeNotFound, "nope")
	wantError(t, e.s.TouchToken(e.ctx, "nope", e.tick()), arca.CodeNotFound, "nope")
	wantError(t, e.s.CreateToken(e.ctx, arca.APIToken{Name: "no id"}), arca.CodeInvalidArgument)
	if n, err := e.s.CountTokens(e.ctx); err != nil || n != 1 {
		t.Errorf("CountTokens = %d, %v; want 1", n, err)
	}
}
