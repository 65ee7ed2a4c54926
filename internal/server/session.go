package server

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/serverapi"
)

// loginPath is the one API path reachable without a credential (with POST).
const loginPath = "/api/v1/session"

type loginInput struct {
	Body serverapi.LoginRequest
}

type sessionOutput struct {
	Body serverapi.Session
}

func (s *Server) sessionRoutes() {
	tags := []string{"session"}
	register(s, huma.Operation{OperationID: "login", Method: http.MethodPost, Path: loginPath,
		Summary: "Log in with a username and password", Description: "Answers a session token with an idle and an absolute expiry. " +
			"Failed logins are throttled per address and per user: 429 with Retry-After.",
		Tags: tags, DefaultStatus: http.StatusCreated, Security: []map[string][]string{}}, auth.ActionLogin, s.login)
	register(s, huma.Operation{OperationID: "logout", Method: http.MethodDelete, Path: loginPath,
		Summary: "Log out: end the caller's session", Tags: tags, DefaultStatus: http.StatusNoContent}, auth.ActionLogout, s.logout)
}

func (s *Server) login(ctx context.Context, in *loginInput) (*sessionOutput, error) {
	noteFrom(ctx).setPrincipal(principalNamed(in.Body.Username))
	tok, sess, u, err := s.opts.Identity.Login(ctx, in.Body.Username, in.Body.Password, remoteAddr(ctx))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p := u.Principal()
	noteFrom(ctx).setPrincipal(p)
	return &sessionOutput{Body: serverapi.Session{Token: tok, ExpiresAt: sess.ExpiresAt,
		IdleSeconds: int(s.opts.Identity.IdleTimeout().Seconds()), Principal: wirePrincipal(p)}}, nil
}

func (s *Server) logout(ctx context.Context, _ *struct{}) (*struct{}, error) {
	p, err := principalFrom(ctx)
	if err == nil {
		err = s.opts.Identity.Logout(ctx, p)
	}
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return nil, nil
}

// principalNamed is the principal a failed login is audited as: the
// username tried, nothing else.
func principalNamed(username string) arca.Principal {
	if len(username) > 128 {
		username = username[:128]
	}
	return arca.Principal{Kind: arca.PrincipalUser, Name: username}
}
