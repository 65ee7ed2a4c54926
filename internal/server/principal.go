package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
)

type principalKey struct{}

func withPrincipal(ctx context.Context, p arca.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the authenticated caller. Every /api/v1 handler
// runs behind authentication, so a missing principal is a wiring bug and
// answered as unauthenticated rather than trusted.
func principalFrom(ctx context.Context) (arca.Principal, error) {
	p, ok := ctx.Value(principalKey{}).(arca.Principal)
	if !ok {
		return arca.Principal{}, errNoToken
	}
	return p, nil
}

var errNoToken = arca.Errorf(arca.CodeUnauthenticated,
	"This API needs an API token or a session: send the header \"Authorization: Bearer <token>\" (arca login stores one).")

// needsAuth says which requests need a bearer credential: all of /api/ but
// the OpenAPI document and the login itself (POST /api/v1/session, whose
// body is the credential).
func needsAuth(method, path string) bool {
	if method == http.MethodPost && path == loginPath {
		return false
	}
	return apiPath(path)
}

// apiPath reports whether path is under the authenticated API.
func apiPath(path string) bool {
	return strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "/api/v1/openapi")
}

func (s *Server) authenticate(r *http.Request) (arca.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return arca.Principal{}, errNoToken
	}
	return s.opts.Auth.Authenticate(r.Context(), strings.TrimSpace(token))
}

// authorize checks that the caller may perform action on a resource of
// tenant ("" for system-wide actions), returning the caller.
func (s *Server) authorize(ctx context.Context, action auth.Action, tenant string) (arca.Principal, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return p, err
	}
	return p, s.opts.Authorizer.Authorize(p, action, tenant)
}
