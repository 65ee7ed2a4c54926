package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/serverapi"
)

type createUserInput struct {
	Body serverapi.UserCreate
}

type patchUserInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body serverapi.UserPatch
}

type listUsersInput struct {
	Tenant string `query:"tenant" maxLength:"63" doc:"Only users of this tenant (admins; others see their own tenant)."`
	pageInput
}

type userOutput struct{ Body serverapi.User }

type userListOutput struct{ Body serverapi.UserList }

func (s *Server) userRoutes() {
	tags := []string{"users"}
	register(s, huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/api/v1/users",
		Summary: "Create a user", Description: "In the caller's tenant (admins may name another), with roles no higher than the caller's.",
		Tags: tags, DefaultStatus: http.StatusCreated}, auth.ActionUserWrite, s.createUser)
	register(s, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/api/v1/users",
		Summary: "List users", Tags: tags}, auth.ActionUserRead, s.listUsers)
	register(s, huma.Operation{OperationID: "get-user", Method: http.MethodGet, Path: "/api/v1/users/{id}",
		Summary: "Get a user", Tags: tags}, auth.ActionUserRead, s.getUser)
	register(s, huma.Operation{OperationID: "update-user", Method: http.MethodPatch, Path: "/api/v1/users/{id}",
		Summary: "Change a user's roles, password or disabled flag", Description: "A new password or disabling ends the user's sessions.",
		Tags: tags}, auth.ActionUserWrite, s.patchUser)
	register(s, huma.Operation{OperationID: "delete-user", Method: http.MethodDelete, Path: "/api/v1/users/{id}",
		Summary: "Delete a user and its sessions", Tags: tags, DefaultStatus: http.StatusNoContent}, auth.ActionUserWrite, s.deleteUser)
}

func (s *Server) loadUser(ctx context.Context, id string, action auth.Action) (arca.User, error) {
	return load(ctx, s, "user", id, action, s.opts.Directory.GetUser, func(u arca.User) string { return u.Tenant })
}

func (s *Server) createUser(ctx context.Context, in *createUserInput) (*userOutput, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	u, err := s.opts.Identity.CreateUser(ctx, p, auth.NewUser{Tenant: in.Body.Tenant, Username: in.Body.Username,
		Password: in.Body.Password, Roles: roles(in.Body.Roles)})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	noteFrom(ctx).setTenant(u.Tenant)
	return &userOutput{Body: wireUser(u)}, nil
}

func (s *Server) listUsers(ctx context.Context, in *listUsersInput) (*userListOutput, error) {
	f, err := s.listFilter(ctx, auth.ActionUserRead, in.Tenant, &in.pageInput)
	if err != nil {
		return nil, err
	}
	us, err := s.opts.Directory.ListUsers(ctx, catalog.UserFilter{Tenant: f.Tenant, After: f.After, Limit: f.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &userListOutput{}
	out.Body.Items, out.Body.NextCursor = page(us, f.Limit, func(u arca.User) string { return u.ID }, wireUser)
	return out, nil
}

func (s *Server) getUser(ctx context.Context, in *idInput) (*userOutput, error) {
	u, err := s.loadUser(ctx, in.ID, auth.ActionUserRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &userOutput{Body: wireUser(u)}, nil
}

func (s *Server) patchUser(ctx context.Context, in *patchUserInput) (*userOutput, error) {
	u, err := s.loadUser(ctx, in.ID, auth.ActionUserWrite)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p, _ := principalFrom(ctx)
	c := auth.UserChange{Password: in.Body.Password, Disabled: in.Body.Disabled}
	if in.Body.Roles != nil {
		c.Roles = roles(in.Body.Roles)
	}
	if u, err = s.opts.Identity.UpdateUser(ctx, p, u, c); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &userOutput{Body: wireUser(u)}, nil
}

func (s *Server) deleteUser(ctx context.Context, in *idInput) (*struct{}, error) {
	u, err := s.loadUser(ctx, in.ID, auth.ActionUserWrite)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p, _ := principalFrom(ctx)
	if err := s.opts.Identity.DeleteUser(ctx, p, u); err != nil {
		return nil, s.fail(ctx, err)
	}
	return nil, nil
}
