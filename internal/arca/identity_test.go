package arca

import (
	"testing"
	"time"
)

func TestIdentityRules(t *testing.T) {
	for s, ok := range map[string]bool{"acme": true, "a": true, "acme-2": true, "": false, "-acme": false,
		"Acme": false, "ac me": false, "acme_x": false, string(make([]byte, 64)): false} {
		if got := CheckTenantID(s) == nil; got != ok {
			t.Errorf("CheckTenantID(%q) ok = %v, want %v", s, got, ok)
		}
	}
	for s, ok := range map[string]bool{"alice": true, "bob@acme.example": true, "a.b_c-d": true, "": false,
		".alice": false, "Alice": false, "al ice": false} {
		if got := CheckUsername(s) == nil; got != ok {
			t.Errorf("CheckUsername(%q) ok = %v, want %v", s, got, ok)
		}
	}
	if CheckRoles(nil) == nil || CheckRoles([]Role{"root"}) == nil || CheckRoles([]Role{RoleViewer, RoleAdmin}) != nil {
		t.Error("CheckRoles: want empty and unknown roles refused, known ones accepted")
	}
	p := Principal{Roles: []Role{RoleViewer, RoleTenantAdmin, RoleOperator}}
	if p.Top() != RoleTenantAdmin || (Principal{}).Top() != "" {
		t.Errorf("Top = %q, want tenant-admin", p.Top())
	}
}

func TestSessionUsable(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Session{LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
	for _, tt := range []struct {
		at   time.Duration
		idle time.Duration
		ok   bool
	}{{time.Minute, 30 * time.Minute, true}, {31 * time.Minute, 30 * time.Minute, false}, {59 * time.Minute, 2 * time.Hour, true}, {time.Hour, 2 * time.Hour, false}} {
		if got := s.Usable(t0.Add(tt.at), tt.idle); got != tt.ok {
			t.Errorf("Usable(+%v, idle %v) = %v, want %v", tt.at, tt.idle, got, tt.ok)
		}
	}
}
