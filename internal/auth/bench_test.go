package auth

import (
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// BenchmarkAuthenticatePermit is what every API request pays for identity
// and access: authenticate the bearer credential (from the cache, as at
// load) and check the route's action against the permission table.
func BenchmarkAuthenticatePermit(b *testing.B) {
	e := newIdentity(b, ServiceOptions{})
	e.user(b, arca.DefaultTenant, "alice", arca.RoleOperator)
	session, _, _, err := e.svc.Login(e.ctx, "alice", goodPassword, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := e.svc.CreateToken(e.ctx, e.admin, NewAPIToken{Name: "ci", Roles: []arca.Role{arca.RoleOperator}})
	if err != nil {
		b.Fatal(err)
	}
	for name, cred := range map[string]string{"token": token, "session": session} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				e.clk.t = e.clk.t.Add(time.Microsecond)
				p, err := e.svc.Authenticate(e.ctx, cred)
				if err != nil {
					b.Fatal(err)
				}
				if err := (Roles{}).Permit(p, ActionBackupRun); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
