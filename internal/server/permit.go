package server

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
)

// permit is the one place the server enforces permissions: a huma
// middleware that runs before every handler, reads the action the route
// declared (register) and checks the caller's roles for it against the
// permission table (auth.Roles.Permit). A route under /api/ without a known
// action is refused, so a route registered without one fails closed.
// Handlers keep only tenant scoping: a resource of another tenant answers
// NOT_FOUND (scope, visible).
func (s *Server) permit(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op == nil || !apiPath(op.Path) {
		next(ctx)
		return
	}
	action := ActionOf(op)
	noteFrom(ctx.Context()).setAction(action)
	if auth.Public(action) {
		next(ctx)
		return
	}
	var err error
	if !auth.Known(action) {
		s.log.ErrorContext(ctx.Context(), "route declares no known action: refused", "operation", op.OperationID, "action", action)
		err = arca.Errorf(arca.CodePermissionDenied, "The route %s %s declares no permission, so nobody may call it.", op.Method, op.Path)
	} else {
		var p arca.Principal
		if p, err = principalFrom(ctx.Context()); err == nil {
			err = s.opts.Authorizer.Permit(p, action)
		}
	}
	if err != nil {
		r, w := humago.Unwrap(ctx)
		s.writeProblem(w, r, err, 0)
		return
	}
	next(ctx)
}
