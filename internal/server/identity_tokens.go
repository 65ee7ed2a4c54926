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

type createTokenInput struct {
	Body serverapi.TokenCreate
}

type listTokensInput struct {
	Tenant string `query:"tenant" maxLength:"63" doc:"Only tokens of this tenant (admins; others see their own tenant)."`
	pageInput
}

type tokenOutput struct{ Body serverapi.Token }

type tokenCreatedOutput struct{ Body serverapi.TokenCreated }

type tokenListOutput struct{ Body serverapi.TokenList }

func (s *Server) tokenRoutes() {
	tags := []string{"tokens"}
	register(s, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/api/v1/tokens",
		Summary: "Create an API token", Description: "The answer holds the token's secret: it is shown this once and stored only as a hash.",
		Tags: tags, DefaultStatus: http.StatusCreated}, auth.ActionTokenWrite, s.createToken)
	register(s, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/api/v1/tokens",
		Summary: "List API tokens (never their secrets)", Tags: tags}, auth.ActionTokenRead, s.listTokens)
	register(s, huma.Operation{OperationID: "get-token", Method: http.MethodGet, Path: "/api/v1/tokens/{id}",
		Summary: "Get an API token", Tags: tags}, auth.ActionTokenRead, s.getToken)
	register(s, huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/api/v1/tokens/{id}",
		Summary: "Revoke an API token", Description: "Effective at once on this server, within 30 s on the others.",
		Tags: tags, DefaultStatus: http.StatusNoContent}, auth.ActionTokenWrite, s.revokeToken)
}

func (s *Server) loadToken(ctx context.Context, id string, action auth.Action) (arca.APIToken, error) {
	return load(ctx, s, "token", id, action, s.opts.Directory.GetToken, func(t arca.APIToken) string { return t.Tenant })
}

func (s *Server) createToken(ctx context.Context, in *createTokenInput) (*tokenCreatedOutput, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	plain, tok, err := s.opts.Identity.CreateToken(ctx, p, auth.NewAPIToken{Tenant: in.Body.Tenant, Name: in.Body.Name,
		Roles: roles(in.Body.Roles), ExpiresAt: in.Body.ExpiresAt})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	noteFrom(ctx).setTenant(tok.Tenant)
	return &tokenCreatedOutput{Body: serverapi.TokenCreated{Token: wireToken(tok), Secret: plain}}, nil
}

func (s *Server) listTokens(ctx context.Context, in *listTokensInput) (*tokenListOutput, error) {
	f, err := s.listFilter(ctx, auth.ActionTokenRead, in.Tenant, &in.pageInput)
	if err != nil {
		return nil, err
	}
	ts, err := s.opts.Directory.ListTokens(ctx, catalog.TokenFilter{Tenant: f.Tenant, After: f.After, Limit: f.Limit})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &tokenListOutput{}
	out.Body.Items, out.Body.NextCursor = page(ts, f.Limit, func(t arca.APIToken) string { return t.ID }, wireToken)
	return out, nil
}

func (s *Server) getToken(ctx context.Context, in *idInput) (*tokenOutput, error) {
	t, err := s.loadToken(ctx, in.ID, auth.ActionTokenRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &tokenOutput{Body: wireToken(t)}, nil
}

func (s *Server) revokeToken(ctx context.Context, in *idInput) (*struct{}, error) {
	t, err := s.loadToken(ctx, in.ID, auth.ActionTokenWrite)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p, _ := principalFrom(ctx)
	if err := s.opts.Identity.RevokeToken(ctx, p, t); err != nil {
		return nil, s.fail(ctx, err)
	}
	return nil, nil
}
