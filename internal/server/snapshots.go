package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/serverapi"
)

type listSnapshotsInput struct {
	RepositoryID string `query:"repository_id" maxLength:"64"`
	SourceID     string `query:"source_id" maxLength:"64"`
	Tag          string `query:"tag" maxLength:"128"`
	Since        string `query:"since" maxLength:"64" doc:"Only snapshots taken at or after this time (RFC 3339)."`
	Until        string `query:"until" maxLength:"64" doc:"Only snapshots taken before this time (RFC 3339)."`
	Cursor       string `query:"cursor" maxLength:"256"`
	Limit        int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type snapshotInput struct {
	ID string `path:"id" maxLength:"64" doc:"Snapshot id, or a unique prefix of at least 8 hex digits."`
}

type treeInput struct {
	ID   string `path:"id" maxLength:"64"`
	Path string `query:"path" maxLength:"4096" doc:"Directory within the snapshot; empty for its root."`
}

type forgetInput struct {
	ID string `path:"id" maxLength:"64"`
	StartHeaders
}

type snapshotOutput struct{ Body serverapi.Snapshot }

type snapshotListOutput struct{ Body serverapi.SnapshotList }

type treeOutput struct{ Body serverapi.TreeListing }

func (s *Server) snapshotRoutes() {
	tags := []string{"snapshots"}
	register(s, huma.Operation{OperationID: "list-snapshots", Method: http.MethodGet, Path: "/api/v1/snapshots",
		Summary: "List snapshots, newest first", Tags: tags}, auth.ActionSnapshotRead, s.listSnapshots)
	register(s, huma.Operation{OperationID: "get-snapshot", Method: http.MethodGet, Path: "/api/v1/snapshots/{id}",
		Summary: "Get a snapshot", Tags: tags}, auth.ActionSnapshotRead, s.getSnapshot)
	register(s, huma.Operation{OperationID: "browse-snapshot", Method: http.MethodGet, Path: "/api/v1/snapshots/{id}/tree",
		Summary: "List a directory of a snapshot", Tags: tags}, auth.ActionSnapshotRead, s.browseSnapshot)
	register(s, huma.Operation{OperationID: "forget-snapshot", Method: http.MethodDelete, Path: "/api/v1/snapshots/{id}",
		Summary: "Forget a snapshot (a task; prune then collects its data)", Tags: tags, DefaultStatus: http.StatusAccepted},
		auth.ActionSnapshotForget, s.forgetSnapshot)
	s.downloadRoutes()
}

// loadSnapshot returns a cached snapshot the caller may perform action on,
// by id or unique prefix.
func (s *Server) loadSnapshot(ctx context.Context, id string, action auth.Action) (arca.Snapshot, error) {
	id = strings.ToLower(id)
	if len(id) < 8 || strings.Trim(id, "0123456789abcdef") != "" {
		return arca.Snapshot{}, notFound("snapshot", id)
	}
	var snap arca.Snapshot
	var err error
	if len(id) == 64 {
		snap, err = s.opts.Catalog.GetSnapshot(ctx, id)
	} else {
		snap, err = s.snapshotByPrefix(ctx, id)
	}
	if errors.Is(err, arca.ErrNotFound) {
		return snap, notFound("snapshot", id)
	}
	if err != nil {
		return snap, err
	}
	return snap, s.visible(ctx, snap.Tenant, action, "snapshot", id)
}

func (s *Server) snapshotByPrefix(ctx context.Context, prefix string) (arca.Snapshot, error) {
	tenant, err := s.scope(ctx, auth.ActionSnapshotRead)
	if err != nil {
		return arca.Snapshot{}, err
	}
	found, _, err := s.opts.Catalog.ListSnapshots(ctx, catalog.SnapshotFilter{Tenant: tenant, IDPrefix: prefix, Limit: 2})
	if err != nil {
		return arca.Snapshot{}, err
	}
	switch len(found) {
	case 0:
		return arca.Snapshot{}, arca.ErrNotFound
	case 1:
		return found[0], nil
	}
	return arca.Snapshot{}, invalidField("id", "The snapshot id prefix %q matches more than one snapshot: give more digits.", prefix)
}

func (s *Server) listSnapshots(ctx context.Context, in *listSnapshotsInput) (*snapshotListOutput, error) {
	tenant, err := s.scope(ctx, auth.ActionSnapshotRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	f := catalog.SnapshotFilter{Tenant: tenant, RepositoryID: in.RepositoryID, SourceID: in.SourceID, Tag: in.Tag,
		After: in.Cursor, Limit: catalog.ListLimit(in.Limit)}
	if f.Since, err = parseTime("since", in.Since); err != nil {
		return nil, s.fail(ctx, err)
	}
	if f.Until, err = parseTime("until", in.Until); err != nil {
		return nil, s.fail(ctx, err)
	}
	snaps, next, err := s.opts.Catalog.ListSnapshots(ctx, f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &snapshotListOutput{Body: serverapi.SnapshotList{Items: make([]serverapi.Snapshot, 0, len(snaps)), NextCursor: next}}
	for _, sn := range snaps {
		out.Body.Items = append(out.Body.Items, wireSnapshot(sn))
	}
	return out, nil
}

func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, invalidField(field, "%s %q is not a time: use RFC 3339, such as 2026-11-23T08:00:00Z.", field, v)
	}
	return t, nil
}

func (s *Server) getSnapshot(ctx context.Context, in *snapshotInput) (*snapshotOutput, error) {
	sn, err := s.loadSnapshot(ctx, in.ID, auth.ActionSnapshotRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &snapshotOutput{Body: wireSnapshot(sn)}, nil
}

func (s *Server) forgetSnapshot(ctx context.Context, in *forgetInput) (*AcceptedOutput, error) {
	sn, err := s.loadSnapshot(ctx, in.ID, auth.ActionSnapshotForget)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	reg, err := s.opts.Catalog.GetRepository(ctx, sn.RepositoryID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p := ops.ForgetParams{RepoParams: ops.RepoParams{RepositoryID: reg.ID}, SnapshotID: sn.ID}
	spec, err := ops.RepositorySpec(reg, ops.OpSnapshotForget, p)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	spec.Target = arca.Target{Type: "snapshot", ID: sn.ID}
	return s.StartTask(ctx, in.StartHeaders, spec, p)
}
