package server

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/auth"
)

// metaAction is the key of huma.Operation.Metadata that holds the route's
// auth.Action. Every authenticated route declares one; the permission
// matrix test enumerates the routes and fails for a route without it.
const metaAction = "arca.action"

// register adds a route that performs action. Use it for every route
// under /api/v1 (the health probes and the OpenAPI document excepted).
func register[I, O any](s *Server, op huma.Operation, action auth.Action, h func(context.Context, *I) (*O, error)) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaAction] = action
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	op.Extensions["x-arca-action"] = string(action) // published: clients and docs see each route's permission
	if op.Security == nil {
		op.Security = bearer
	}
	if op.MaxBodyBytes == 0 {
		op.MaxBodyBytes = s.opts.MaxBodyBytes
	}
	huma.Register(s.api, op, h)
}

// ActionOf returns the action a registered operation declared ("" if none).
func ActionOf(op *huma.Operation) auth.Action {
	a, _ := op.Metadata[metaAction].(auth.Action)
	return a
}
