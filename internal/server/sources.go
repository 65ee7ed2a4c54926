package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/serverapi"
)

type createSourceInput struct {
	Body serverapi.SourceCreate
}

type patchSourceInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body serverapi.SourcePatch
}

type listSourcesInput struct {
	pageInput
	RepositoryID string `query:"repository_id" maxLength:"64"`
	Kind         string `query:"kind" maxLength:"32"`
}

type sourceOutput struct{ Body serverapi.Source }

type sourceListOutput struct{ Body serverapi.SourceList }

func (s *Server) sourceRoutes() {
	tags := []string{"sources"}
	register(s, huma.Operation{OperationID: "create-source", Method: http.MethodPost, Path: "/api/v1/sources",
		Summary: "Create a source", Description: "Validates the settings and checks that the source can be backed up now (unless skip_probe).",
		Tags: tags, DefaultStatus: http.StatusCreated}, auth.ActionSourceWrite, s.createSource)
	register(s, huma.Operation{OperationID: "list-sources", Method: http.MethodGet, Path: "/api/v1/sources",
		Summary: "List sources", Tags: tags}, auth.ActionSourceRead, s.listSources)
	register(s, huma.Operation{OperationID: "get-source", Method: http.MethodGet, Path: "/api/v1/sources/{id}",
		Summary: "Get a source", Tags: tags}, auth.ActionSourceRead, s.getSource)
	register(s, huma.Operation{OperationID: "update-source", Method: http.MethodPatch, Path: "/api/v1/sources/{id}",
		Summary: "Change a source", Tags: tags}, auth.ActionSourceWrite, s.patchSource)
	register(s, huma.Operation{OperationID: "delete-source", Method: http.MethodDelete, Path: "/api/v1/sources/{id}",
		Summary: "Delete a source (its snapshots stay)", Tags: tags, DefaultStatus: http.StatusNoContent}, auth.ActionSourceWrite, s.deleteSource)
}

// loadSource returns a source the caller may perform action on.
func (s *Server) loadSource(ctx context.Context, id string, action auth.Action) (arca.Source, error) {
	if !arca.ValidID(id) {
		return arca.Source{}, notFound("source", id)
	}
	src, err := s.opts.Catalog.GetSource(ctx, id)
	if errors.Is(err, arca.ErrNotFound) {
		return src, notFound("source", id)
	}
	if err != nil {
		return src, err
	}
	return src, s.visible(ctx, src.Tenant, action, "source", id)
}

func (s *Server) createSource(ctx context.Context, in *createSourceInput) (*sourceOutput, error) {
	b := in.Body
	reg, err := s.loadRepository(ctx, b.RepositoryID, auth.ActionRepositoryRead)
	if err != nil {
		var ae *arca.Error
		if errors.As(err, &ae) && ae.Code == arca.CodeNotFound {
			err = invalidField("repository_id", "No repository %q: create the repository first, or give the id of one you can see.", b.RepositoryID)
		}
		return nil, s.fail(ctx, err)
	}
	src, err := s.opts.Ops.NewSource(ctx, reg.Tenant, ops.SourceInput{Name: b.Name, Kind: b.Kind, Settings: b.Settings,
		Secret: b.Secret, SkipProbe: b.SkipProbe, RepositoryID: reg.ID})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.opts.Catalog.CreateSource(ctx, src); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &sourceOutput{Body: wireSource(src)}, nil
}

func (s *Server) listSources(ctx context.Context, in *listSourcesInput) (*sourceListOutput, error) {
	rf, err := s.listFilter(ctx, auth.ActionSourceRead, "", &in.pageInput)
	if err != nil {
		return nil, err
	}
	srcs, err := s.opts.Catalog.ListSources(ctx, catalog.SourceFilter{ResourceFilter: rf, RepositoryID: in.RepositoryID, Kind: arca.SourceKind(in.Kind)})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &sourceListOutput{}
	out.Body.Items, out.Body.NextCursor = page(srcs, rf.Limit, func(s arca.Source) string { return s.ID }, wireSource)
	return out, nil
}

func (s *Server) getSource(ctx context.Context, in *idInput) (*sourceOutput, error) {
	src, err := s.loadSource(ctx, in.ID, auth.ActionSourceRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &sourceOutput{Body: wireSource(src)}, nil
}

func (s *Server) patchSource(ctx context.Context, in *patchSourceInput) (*sourceOutput, error) {
	src, err := s.loadSource(ctx, in.ID, auth.ActionSourceWrite)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	b := in.Body
	src, err = s.opts.Ops.ChangeSource(ctx, src, ops.SourceChange{Name: b.Name, Settings: b.Settings, Secret: b.Secret, SkipProbe: b.SkipProbe})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.opts.Catalog.UpdateSource(ctx, src); err != nil {
		return nil, s.fail(ctx, err)
	}
	return &sourceOutput{Body: wireSource(src)}, nil
}

func (s *Server) deleteSource(ctx context.Context, in *idInput) (*struct{}, error) {
	if _, err := s.loadSource(ctx, in.ID, auth.ActionSourceWrite); err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.opts.Catalog.DeleteSource(ctx, in.ID); err != nil {
		return nil, s.fail(ctx, err)
	}
	return nil, nil
}
