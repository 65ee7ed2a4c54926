package server

import (
	"context"
	"fmt"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
)

// scope returns the tenant a listing is limited to: the caller's own, or
// "" (every tenant) for principals that see all tenants.
func (s *Server) scope(ctx context.Context, action auth.Action) (string, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return "", err
	}
	tenant := p.Tenant
	if s.opts.Authorizer.SeesTenant(p, "") {
		tenant = ""
	}
	return tenant, s.opts.Authorizer.Authorize(p, action, tenant)
}

// visible checks that the caller may perform action on a resource of
// tenant. A resource of a tenant the caller cannot see answers NOT_FOUND,
// exactly as a missing one, so that ids do not leak across tenants.
func (s *Server) visible(ctx context.Context, tenant string, action auth.Action, kind, id string) error {
	p, err := principalFrom(ctx)
	if err != nil {
		return err
	}
	if !s.opts.Authorizer.SeesTenant(p, tenant) {
		return notFound(kind, id)
	}
	noteFrom(ctx).setTenant(tenant)
	return s.opts.Authorizer.Authorize(p, action, tenant)
}

func notFound(kind, id string) error {
	return &arca.Error{Code: arca.CodeNotFound, Message: fmt.Sprintf("No %s %q.", kind, id), Details: map[string]string{"id": id}}
}

// callerTenant is the tenant new resources of the caller belong to.
func callerTenant(ctx context.Context) (string, error) {
	p, err := principalFrom(ctx)
	return p.Tenant, err
}
