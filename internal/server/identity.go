package server

import (
	"context"
	"errors"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/serverapi"
)

// Identity is what the API needs of identity and access (*auth.Service):
// logins, and the management of users and tokens under its no-escalation
// rule.
type Identity interface {
	Login(ctx context.Context, username, password, addr string) (string, arca.Session, arca.User, error)
	Logout(ctx context.Context, p arca.Principal) error
	CreateUser(ctx context.Context, actor arca.Principal, in auth.NewUser) (arca.User, error)
	UpdateUser(ctx context.Context, actor arca.Principal, u arca.User, c auth.UserChange) (arca.User, error)
	DeleteUser(ctx context.Context, actor arca.Principal, u arca.User) error
	CreateToken(ctx context.Context, actor arca.Principal, in auth.NewAPIToken) (string, arca.APIToken, error)
	RevokeToken(ctx context.Context, actor arca.Principal, tok arca.APIToken) error
	IdleTimeout() time.Duration
}

func (s *Server) identityRoutes() {
	s.sessionRoutes()
	s.tenantRoutes()
	s.userRoutes()
	s.tokenRoutes()
	s.auditRoutes()
}

// load fetches a resource of kind by id and checks the caller may perform
// action on it: a missing resource and one of a tenant the caller cannot
// see both answer NOT_FOUND.
func load[T any](ctx context.Context, s *Server, kind, id string, action auth.Action, get func(context.Context, string) (T, error), tenant func(T) string) (T, error) {
	var zero T
	if !arca.ValidID(id) {
		return zero, notFound(kind, id)
	}
	v, err := get(ctx, id)
	if errors.Is(err, arca.ErrNotFound) {
		return zero, notFound(kind, id)
	}
	if err != nil {
		return zero, err
	}
	return v, s.visible(ctx, tenant(v), action, kind, id)
}

func roles(in []string) []arca.Role {
	out := make([]arca.Role, len(in))
	for i, r := range in {
		out[i] = arca.Role(r)
	}
	return out
}

func roleNames(in []arca.Role) []string {
	out := make([]string, len(in))
	for i, r := range in {
		out[i] = string(r)
	}
	return out
}

func wireTenant(t arca.Tenant) serverapi.Tenant {
	return serverapi.Tenant{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}
}

func wireUser(u arca.User) serverapi.User {
	return serverapi.User{ID: u.ID, Tenant: u.Tenant, Username: u.Username, Roles: roleNames(u.Roles),
		Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func wireToken(t arca.APIToken) serverapi.Token {
	return serverapi.Token{ID: t.ID, Tenant: t.Tenant, Name: t.Name, Roles: roleNames(t.Roles), CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt}
}

func wireAudit(e arca.AuditEntry) serverapi.AuditEntry {
	return serverapi.AuditEntry{ID: e.ID, Time: e.Time, Tenant: e.Tenant, PrincipalID: e.PrincipalID,
		PrincipalKind: e.PrincipalKind, PrincipalName: e.PrincipalName, Action: e.Action, Method: e.Method,
		Target: e.Target, Status: e.Status, RequestID: e.RequestID, RemoteAddr: e.RemoteAddr}
}
