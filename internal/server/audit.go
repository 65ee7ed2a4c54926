package server

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/serverapi"
)

type listAuditInput struct {
	Tenant    string `query:"tenant" maxLength:"63" doc:"Only entries of this tenant (admins; tenant admins see their own tenant)."`
	Principal string `query:"principal" maxLength:"64" doc:"Only entries of this principal id."`
	Action    string `query:"action" maxLength:"64" doc:"Only entries of this action, for example user.write."`
	Since     string `query:"since" maxLength:"40" doc:"Only entries at or after this time (RFC 3339)."`
	Until     string `query:"until" maxLength:"40" doc:"Only entries before this time (RFC 3339)."`
	Cursor    string `query:"cursor" maxLength:"128" doc:"next_cursor of the previous page."`
	Limit     int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type auditListOutput struct{ Body serverapi.AuditList }

func (s *Server) auditRoutes() {
	register(s, huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/api/v1/audit",
		Summary: "Read the audit log, newest first", Description: "Every state-changing request: who, tenant, action, target, status, request id, source address.",
		Tags: []string{"audit"}}, auth.ActionAuditRead, s.listAudit)
}

func (s *Server) listAudit(ctx context.Context, in *listAuditInput) (*auditListOutput, error) {
	tenant, err := s.scope(ctx, auth.ActionAuditRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if tenant == "" {
		tenant = in.Tenant
	}
	f := catalog.AuditFilter{Tenant: tenant, Principal: in.Principal, Action: in.Action, Limit: catalog.ListLimit(in.Limit)}
	for _, t := range []struct {
		name, v string
		dst     *time.Time
	}{{"since", in.Since, &f.Since}, {"until", in.Until, &f.Until}} {
		if t.v == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339Nano, t.v); err != nil {
			return nil, s.fail(ctx, invalidField(t.name, "%s=%q is not a time: use RFC 3339, for example 2026-05-01T12:00:00Z.", t.name, t.v))
		}
	}
	if in.Cursor != "" {
		if f.Before, err = decodeCursor(in.Cursor); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	es, err := s.opts.Directory.ListAudit(ctx, f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &auditListOutput{}
	out.Body.Items, out.Body.NextCursor = page(es, f.Limit, func(e arca.AuditEntry) string { return e.ID }, wireAudit)
	return out, nil
}
