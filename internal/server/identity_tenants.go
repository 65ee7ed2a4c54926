package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/serverapi"
)

type tenantIDInput struct {
	ID string `path:"id" maxLength:"63" doc:"Tenant id."`
}

type createTenantInput struct {
	Body serverapi.TenantCreate
}

type tenantOutput struct{ Body serverapi.Tenant }

type tenantListOutput struct{ Body serverapi.TenantList }

func (s *Server) tenantRoutes() {
	tags := []string{"tenants"}
	register(s, huma.Operation{OperationID: "create-tenant", Method: http.MethodPost, Path: "/api/v1/tenants",
		Summary: "Create a tenant (admin)", Tags: tags, DefaultStatus: http.StatusCreated}, auth.ActionTenantWrite, s.createTenant)
	register(s, huma.Operation{OperationID: "list-tenants", Method: http.MethodGet, Path: "/api/v1/tenants",
		Summary: "List tenants (admin)", Tags: tags}, auth.ActionTenantRead, s.listTenants)
	register(s, huma.Operation{OperationID: "get-tenant", Method: http.MethodGet, Path: "/api/v1/tenants/{id}",
		Summary: "Get a tenant (admin)", Tags: tags}, auth.ActionTenantRead, s.getTenant)
	register(s, huma.Operation{OperationID: "delete-tenant", Method: http.MethodDelete, Path: "/api/v1/tenants/{id}",
		Summary: "Delete an empty tenant (admin)", Description: "A tenant that still has users, tokens, repositories or sources answers 409.",
		Tags: tags, DefaultStatus: http.StatusNoContent}, auth.ActionTenantWrite, s.deleteTenant)
}

func (s *Server) createTenant(ctx context.Context, in *createTenantInput) (*tenantOutput, error) {
	t := arca.Tenant{ID: in.Body.ID, Name: in.Body.Name, CreatedAt: s.opts.Now()}
	if err := s.opts.Directory.CreateTenant(ctx, t); err != nil {
		return nil, s.fail(ctx, err)
	}
	t, err := s.opts.Directory.GetTenant(ctx, t.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &tenantOutput{Body: wireTenant(t)}, nil
}

func (s *Server) listTenants(ctx context.Context, _ *struct{}) (*tenantListOutput, error) {
	ts, err := s.opts.Directory.ListTenants(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &tenantListOutput{Body: serverapi.TenantList{Items: make([]serverapi.Tenant, 0, len(ts))}}
	for _, t := range ts {
		out.Body.Items = append(out.Body.Items, wireTenant(t))
	}
	return out, nil
}

func (s *Server) getTenant(ctx context.Context, in *tenantIDInput) (*tenantOutput, error) {
	t, err := s.opts.Directory.GetTenant(ctx, in.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &tenantOutput{Body: wireTenant(t)}, nil
}

func (s *Server) deleteTenant(ctx context.Context, in *tenantIDInput) (*struct{}, error) {
	if err := s.opts.Directory.DeleteTenant(ctx, in.ID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return nil, nil
}
