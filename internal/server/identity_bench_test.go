package server

import (
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog/sqlite"
)

func benchWhoAmI(b *testing.B, s *Server, token string) {
	r := httptest.NewRequest("GET", "/api/v1/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body)
		}
	}
}

// BenchmarkIdentityOverhead measures GET /api/v1/whoami through the whole
// HTTP layer with the real identity service (a cached API token or session)
// against the same request authenticated by a map lookup: the difference is
// what authentication costs a request (the permission middleware runs in
// both).
func BenchmarkIdentityOverhead(b *testing.B) {
	db := openBenchCatalog(b)
	ident := auth.NewService(db, auth.ServiceOptions{Password: auth.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	boss := arca.Principal{Tenant: arca.DefaultTenant, Roles: []arca.Role{arca.RoleAdmin}}
	token, _, err := ident.CreateToken(b.Context(), boss, auth.NewAPIToken{Name: "b", Roles: []arca.Role{arca.RoleOperator}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ident.CreateUser(b.Context(), boss, auth.NewUser{Username: "bench", Password: "correct horse battery staple", Roles: []arca.Role{arca.RoleOperator}}); err != nil {
		b.Fatal(err)
	}
	session, _, _, err := ident.Login(b.Context(), "bench", "correct horse battery staple", "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	real := New(Options{Tasks: newFakeTasks(), Auth: ident, Identity: ident, Directory: db, Ready: pinger{}, Logger: slog.New(slog.DiscardHandler)})
	fake := New(Options{Tasks: newFakeTasks(), Auth: fakeAuth{"map": oper}, Ready: pinger{}, Logger: slog.New(slog.DiscardHandler)})
	b.Run("map-lookup", func(b *testing.B) { benchWhoAmI(b, fake, "map") })
	b.Run("api-token", func(b *testing.B) { benchWhoAmI(b, real, token) })
	b.Run("session", func(b *testing.B) { benchWhoAmI(b, real, session) })
}

func openBenchCatalog(b *testing.B) *sqlite.DB {
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
