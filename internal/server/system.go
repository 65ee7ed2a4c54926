package server

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/task"
)

// OpSelftest is the built-in operation POST /api/v1/system/selftest starts.
const OpSelftest arca.Operation = "selftest"

type selftestInput struct {
	StartHeaders
	Body serverapi.SelftestRequest
}

type principalOutput struct {
	Body serverapi.Principal
}

type healthOutput struct {
	Body serverapi.Health
}

func (s *Server) systemRoutes() {
	register(s, huma.Operation{OperationID: "start-selftest", Method: http.MethodPost, Path: "/api/v1/system/selftest",
		Summary: "Start a selftest task (admin)", Description: "A task that runs for duration_ms reporting steps progress updates: checks a deployment end to end.",
		Tags: []string{"system"}, DefaultStatus: http.StatusAccepted}, auth.ActionSystem, s.startSelftest)
	register(s, huma.Operation{OperationID: "whoami", Method: http.MethodGet, Path: "/api/v1/whoami",
		Summary: "Who the caller is", Tags: []string{"system"}}, auth.ActionSessionRead, s.whoami)
	huma.Register(s.api, huma.Operation{OperationID: "healthz", Method: http.MethodGet, Path: "/healthz",
		Summary: "The process is alive", Tags: []string{"health"}}, s.healthz)
	huma.Register(s.api, huma.Operation{OperationID: "readyz", Method: http.MethodGet, Path: "/readyz",
		Summary: "The server can serve: its catalog answers", Tags: []string{"health"}}, s.readyz)
}

func (s *Server) startSelftest(ctx context.Context, in *selftestInput) (*AcceptedOutput, error) {
	if _, err := s.authorize(ctx, auth.ActionSystem, ""); err != nil {
		return nil, s.fail(ctx, err)
	}
	params, err := json.Marshal(in.Body)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	spec := task.Spec{Operation: OpSelftest, Target: arca.Target{Type: "system", ID: "selftest"}, Params: params}
	return s.StartTask(ctx, in.StartHeaders, spec, in.Body)
}

func (s *Server) whoami(ctx context.Context, _ *struct{}) (*principalOutput, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &principalOutput{Body: wirePrincipal(p)}, nil
}

func (s *Server) healthz(context.Context, *struct{}) (*healthOutput, error) {
	return &healthOutput{Body: serverapi.Health{Status: "ok"}}, nil
}

func (s *Server) readyz(ctx context.Context, _ *struct{}) (*healthOutput, error) {
	if err := s.opts.Ready.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready: catalog does not answer", "err", err)
		return nil, s.fail(ctx, &arca.Error{Code: arca.CodeUnavailable, Message: "The catalog does not answer.", Err: err})
	}
	return &healthOutput{Body: serverapi.Health{Status: "ok"}}, nil
}
