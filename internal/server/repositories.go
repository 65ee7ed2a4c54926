package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/serverapi"
)

type idInput struct {
	ID string `path:"id" maxLength:"64" doc:"Resource id."`
}

type pageInput struct {
	Cursor string `query:"cursor" maxLength:"128" doc:"next_cursor of the previous page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type createRepositoryInput struct {
	StartHeaders
	Body serverapi.RepositoryCreate
}

type repositoryCreatedOutput struct {
	Location string `header:"Location" doc:"Path of the task that initialises or attaches the repository."`
	Replayed string `header:"Idempotent-Replayed"`
	Body     serverapi.RepositoryCreated
}

type patchRepositoryInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body serverapi.RepositoryPatch
}

type repositoryOutput struct{ Body serverapi.Repository }

type repositoryListOutput struct{ Body serverapi.RepositoryList }

type verifyInput struct {
	ID string `path:"id" maxLength:"64"`
	StartHeaders
	Body serverapi.VerifyRequest
}

type pruneInput struct {
	ID string `path:"id" maxLength:"64"`
	StartHeaders
	Body serverapi.PruneRequest
}

type syncInput struct {
	ID string `path:"id" maxLength:"64"`
	StartHeaders
}

func (s *Server) repositoryRoutes() {
	tags := []string{"repositories"}
	register(s, huma.Operation{OperationID: "create-repository", Method: http.MethodPost, Path: "/api/v1/repositories",
		Summary: "Register a repository", Description: "Initialises a new repository at the location, or attaches the one already there after checking the password, as a task (202). A registration whose task fails for good (wrong password, nothing to attach) is removed again.",
		Tags: tags, DefaultStatus: http.StatusAccepted}, auth.ActionRepositoryWrite, s.createRepository)
	register(s, huma.Operation{OperationID: "list-repositories", Method: http.MethodGet, Path: "/api/v1/repositories",
		Summary: "List repositories", Tags: tags}, auth.ActionRepositoryRead, s.listRepositories)
	register(s, huma.Operation{OperationID: "get-repository", Method: http.MethodGet, Path: "/api/v1/repositories/{id}",
		Summary: "Get a repository", Tags: tags}, auth.ActionRepositoryRead, s.getRepository)
	register(s, huma.Operation{OperationID: "update-repository", Method: http.MethodPatch, Path: "/api/v1/repositories/{id}",
		Summary: "Change a repository's name or stored credentials", Tags: tags}, auth.ActionRepositoryWrite, s.patchRepository)
	register(s, huma.Operation{OperationID: "delete-repository", Method: http.MethodDelete, Path: "/api/v1/repositories/{id}",
		Summary: "Remove a repository's registration (its data stays)", Tags: tags, DefaultStatus: http.StatusNoContent},
		auth.ActionRepositoryWrite, s.deleteRepository)
	register(s, huma.Operation{OperationID: "verify-repository", Method: http.MethodPost, Path: "/api/v1/repositories/{id}/verify",
		Summary: "Verify a repository", Tags: tags, DefaultStatus: http.StatusAccepted}, auth.ActionVerifyRun, s.verifyRepository)
	register(s, huma.Operation{OperationID: "prune-repository", Method: http.MethodPost, Path: "/api/v1/repositories/{id}/prune",
		Summary: "Forget snapshots by policy and collect unused data", Description: "Runs beside backups; a second prune of the same repository waits blocked.",
		Tags: tags, DefaultStatus: http.StatusAccepted}, auth.ActionPruneRun, s.pruneRepository)
	register(s, huma.Operation{OperationID: "sync-repository-snapshots", Method: http.MethodPost, Path: "/api/v1/repositories/{id}/sync",
		Summary: "Rebuild the catalog's list of the repository's snapshots from the repository", Tags: tags, DefaultStatus: http.StatusAccepted},
		auth.ActionRepositoryWrite, s.syncRepository)
}

// loadRepository returns a repository the caller may perform action on.
func (s *Server) loadRepository(ctx context.Context, id string, action auth.Action) (arca.Repository, error) {
	if !arca.ValidID(id) {
		return arca.Repository{}, notFound("repository", id)
	}
	r, err := s.opts.Catalog.GetRepository(ctx, id)
	if errors.Is(err, arca.ErrNotFound) {
		return r, notFound("repository", id)
	}
	if err != nil {
		return r, err
	}
	return r, s.visible(ctx, r.Tenant, action, "repository", id)
}

func (s *Server) createRepository(ctx context.Context, in *createRepositoryInput) (*repositoryCreatedOutput, error) {
	tenant, err := callerTenant(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	b := in.Body
	reg, err := s.opts.Ops.NewRepository(tenant, ops.RepositoryInput{Name: b.Name, Kind: b.Kind, Path: b.Path, Endpoint: b.Endpoint,
		Bucket: b.Bucket, Prefix: b.Prefix, Region: b.Region, Insecure: b.Insecure, AccessKey: b.AccessKey, SecretKey: b.SecretKey, Password: b.Password})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if in.IdempotencyKey != "" {
		// A retry must find the same registration: its id derives from
		// the key.
		reg.ID = idempotentID(tenant, "repository", in.IdempotencyKey)
		if reg.Secret, err = s.opts.Ops.Repos().SealSecret(reg.ID, arca.RepositorySecret{Password: b.Password, AccessKey: b.AccessKey, SecretKey: b.SecretKey}); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	created := true
	if err := s.opts.Catalog.CreateRepository(ctx, reg); err != nil {
		existing, gerr := s.opts.Catalog.GetRepository(ctx, reg.ID)
		if in.IdempotencyKey == "" || !errors.Is(err, arca.ErrAlreadyExists) || gerr != nil {
			return nil, s.fail(ctx, err)
		}
		reg, created = existing, false
	}
	spec, err := ops.RepositorySpec(reg, ops.OpRepositoryInit, ops.RepositoryInitParams{RepoParams: ops.RepoParams{RepositoryID: reg.ID}, Attach: b.Attach})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	// Secrets take no part in the request's identity (its hash is stored).
	b.Password, b.AccessKey, b.SecretKey = "", "", ""
	started, err := s.StartTask(ctx, in.StartHeaders, spec, b)
	if err != nil || (created && started.Replayed != "") {
		// A new row whose task already existed (a retry after the first
		// registration was removed) or no task at all: drop the row.
		if created {
			_ = s.opts.Catalog.DeleteRepository(context.WithoutCancel(ctx), reg.ID)
		}
		if err != nil {
			return nil, err
		}
	}
	return &repositoryCreatedOutput{Location: started.Location, Replayed: started.Replayed,
		Body: serverapi.RepositoryCreated{Repository: wireRepository(reg), Task: started.Body}}, nil
}

// idempotentID derives a resource id from the tenant and an idempotency
// key: a UUID of version 8 (RFC 9562) from SHA-256.
func idempotentID(tenant, kind, key string) string {
	h := sha256.Sum256([]byte(tenant + "\x00" + kind + "\x00" + key))
	h[6] = (h[6] & 0x0f) | 0x80
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (s *Server) listRepositories(ctx context.Context, in *pageInput) (*repositoryListOutput, error) {
	f, err := s.listFilter(ctx, auth.ActionRepositoryRead, "", in)
	if err != nil {
		return nil, err
	}
	rs, err := s.opts.Catalog.ListRepositories(ctx, f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &repositoryListOutput{}
	out.Body.Items, out.Body.NextCursor = page(rs, f.Limit, func(r arca.Repository) string { return r.ID }, wireRepository)
	return out, nil
}

// listFilter is the filter of a list request: the caller's tenant scope for
// action, or, for a system admin (scope ""), the tenant the request names
// (empty: all), then the page. Errors are translated already.
func (s *Server) listFilter(ctx context.Context, action auth.Action, requested string, in *pageInput) (catalog.ResourceFilter, error) {
	tenant, err := s.scope(ctx, action)
	if err != nil {
		return catalog.ResourceFilter{}, s.fail(ctx, err)
	}
	if tenant == "" {
		tenant = requested
	}
	f, err := resourceFilter(tenant, in)
	if err != nil {
		return f, s.fail(ctx, err)
	}
	return f, nil
}

func resourceFilter(tenant string, in *pageInput) (catalog.ResourceFilter, error) {
	f := catalog.ResourceFilter{Tenant: tenant, Limit: catalog.ListLimit(in.Limit)}
	if in.Cursor != "" {
		after, err := decodeCursor(in.Cursor)
		if err != nil {
			return f, err
		}
		f.After = after
	}
	return f, nil
}

func (s *Server) getRepository(ctx context.Context, in *idInput) (*repositoryOutput, error) {
	r, err := s.loadRepository(ctx, in.ID, auth.ActionRepositoryRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &repositoryOutput{Body: wireRepository(r)}, nil
}

func (s *Server) patchRepository(ctx context.Context, in *patchRepositoryInput) (*repositoryOutput, error) {
	r, err := s.loadRepository(ctx, in.ID, auth.ActionRepositoryWrite)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	b := in.Body
	r, err = s.opts.Ops.ChangeRepository(ctx, r, ops.RepositoryChange{Name: b.Name, AccessKey: b.AccessKey, SecretKey: b.SecretKey, Password: b.Password})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.opts.Catalog.UpdateRepository(ctx, r); err != nil {
		return nil, s.fail(ctx, err)
	}
	s.opts.Ops.Repos().Forget(r.ID)
	return &repositoryOutput{Body: wireRepository(r)}, nil
}

func (s *Server) deleteRepository(ctx context.Context, in *idInput) (*struct{}, error) {
	if _, err := s.loadRepository(ctx, in.ID, auth.ActionRepositoryWrite); err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.opts.Catalog.DeleteRepository(ctx, in.ID); err != nil {
		return nil, s.fail(ctx, err)
	}
	s.opts.Ops.Repos().Forget(in.ID)
	return nil, nil
}

func (s *Server) repositoryTask(ctx context.Context, id string, action auth.Action, h StartHeaders, op arca.Operation, params, body any) (*AcceptedOutput, error) {
	r, err := s.loadRepository(ctx, id, action)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	spec, err := ops.RepositorySpec(r, op, params)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.StartTask(ctx, h, spec, body)
}

func (s *Server) verifyRepository(ctx context.Context, in *verifyInput) (*AcceptedOutput, error) {
	p := ops.VerifyParams{RepoParams: ops.RepoParams{RepositoryID: in.ID}, ReadDataPercent: in.Body.ReadDataPercent}
	return s.repositoryTask(ctx, in.ID, auth.ActionVerifyRun, in.StartHeaders, ops.OpVerify, p, in.Body)
}

func (s *Server) pruneRepository(ctx context.Context, in *pruneInput) (*AcceptedOutput, error) {
	p := ops.PruneParams{RepoParams: ops.RepoParams{RepositoryID: in.ID}, SourceID: in.Body.SourceID, DryRun: in.Body.DryRun}
	if in.Body.Policy != nil {
		pol, err := domainPolicy(*in.Body.Policy)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		p.Policy = &pol
	}
	return s.repositoryTask(ctx, in.ID, auth.ActionPruneRun, in.StartHeaders, ops.OpPrune, p, in.Body)
}

func (s *Server) syncRepository(ctx context.Context, in *syncInput) (*AcceptedOutput, error) {
	p := ops.RepoParams{RepositoryID: in.ID}
	return s.repositoryTask(ctx, in.ID, auth.ActionRepositoryWrite, in.StartHeaders, ops.OpSnapshotSync, p, p)
}
