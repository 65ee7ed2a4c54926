// Package server is Arca's native HTTP API under /api/v1: thin huma v2
// handlers on a standard http.ServeMux that decode a request, call the task
// engine and encode the result. Every error leaves as an RFC 9457 problem
// document (problemOf); every request gets a request id, an access log line
// and security headers; every /api/v1 route but the OpenAPI document needs
// a bearer token.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/task"
)

// Tasks is what the API needs of the task engine (*task.Engine).
type Tasks interface {
	Submit(ctx context.Context, s task.Spec) (arca.Task, bool, error)
	SubmitBatch(ctx context.Context, parent task.Spec, children []task.Spec) (arca.Task, []arca.Task, bool, error)
	Get(ctx context.Context, id string) (arca.Task, error)
	List(ctx context.Context, f catalog.TaskFilter) ([]arca.Task, error)
	Cancel(ctx context.Context, id string) (arca.Task, error)
	Delete(ctx context.Context, id string) error
	Wait(ctx context.Context, id string, max time.Duration) (arca.Task, error)
	Watch(ctx context.Context, id string, after int64) (<-chan task.Event, error)
}

// Authenticator resolves a bearer token (API token or session) to a
// principal (*auth.Service).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (arca.Principal, error)
}

// Authorizer decides what a principal may do (auth.Roles). It is the seam
// where users, per-tenant roles and policies plug in.
type Authorizer interface {
	// Authorize returns nil or a PERMISSION_DENIED error.
	Authorize(p arca.Principal, action auth.Action, tenant string) error
	// Permit returns nil when p may perform action at all (in its own
	// tenant), or a PERMISSION_DENIED error; checked before every handler.
	Permit(p arca.Principal, action auth.Action) error
	// SeesTenant reports whether resources of tenant exist for p at all.
	SeesTenant(p arca.Principal, tenant string) bool
}

// Resources is what the API reads of the catalog for repositories,
// sources and snapshots (catalog.Store).
type Resources interface {
	catalog.RepositoryStore
	catalog.SourceStore
	catalog.SnapshotStore
}

// Pinger checks a dependency for /readyz (the catalog).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configure a Server. Tasks, Auth and Ready are required.
type Options struct {
	Tasks      Tasks
	Auth       Authenticator
	Authorizer Authorizer // default auth.Roles{}
	Ready      Pinger
	// Catalog and Ops serve repositories, sources, backups, restores and
	// snapshots; without them those routes are not registered.
	Catalog Resources
	Ops     *ops.Service
	// Identity and Directory serve tenants, users, tokens, sessions and the
	// audit log, and record the audit log; without them those routes are
	// not registered and nothing is audited.
	Identity  Identity
	Directory catalog.IdentityStore
	Logger    *slog.Logger
	Version   string
	// MaxBodyBytes bounds request bodies (413 beyond). Default 1 MiB.
	MaxBodyBytes int64
	// MaxWait caps ?wait= of a long poll. Default 60 s.
	MaxWait time.Duration
	// Keepalive is the interval of comments on an idle event stream. Default 15 s.
	Keepalive time.Duration
	Now       func() time.Time
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	api  huma.API

	drainOnce sync.Once
	drain     chan struct{}
	auditIDs  auditIDs
}

// New returns the API with every route registered.
func New(opts Options) *Server {
	if opts.Authorizer == nil {
		opts.Authorizer = auth.Roles{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 60 * time.Second
	}
	if opts.Keepalive <= 0 {
		opts.Keepalive = 15 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(), drain: make(chan struct{})}
	s.api = humago.New(s.mux, s.humaConfig())
	s.api.UseMiddleware(s.permit)
	s.routes()
	return s
}

func (s *Server) humaConfig() huma.Config {
	cfg := huma.DefaultConfig("Arca API", s.opts.Version)
	cfg.Info.Description = "Arca's native API: every operation is an asynchronous task. See docs/api.md."
	cfg.OpenAPIPath = "/api/v1/openapi"
	cfg.DocsPath = ""    // the docs page loads scripts from a CDN: serve none
	cfg.SchemasPath = "" // schemas live in the OpenAPI document
	cfg.CreateHooks = nil
	cfg.RejectUnknownQueryParameters = true
	cfg.Transformers = []huma.Transformer{s.transformHumaError}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API token: arca_<id>_<secret>."},
	}
	return cfg
}

// API returns the huma API, for later issues to register their routes on.
func (s *Server) API() huma.API { return s.api }

// Drain tells long polls and event streams to end now (they return the
// state they have), so that a graceful shutdown does not wait for them.
// Register it with http.Server.RegisterOnShutdown.
func (s *Server) Drain() { s.drainOnce.Do(func() { close(s.drain) }) }

// draining returns ctx, canceled also when the server drains.
func (s *Server) draining(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.drain:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (s *Server) routes() {
	s.taskRoutes()
	s.systemRoutes()
	if s.opts.Identity != nil && s.opts.Directory != nil {
		s.identityRoutes()
	}
	if s.opts.Catalog != nil && s.opts.Ops != nil {
		s.repositoryRoutes()
		s.sourceRoutes()
		s.backupRoutes()
		s.snapshotRoutes()
	}
	// Errors are problem documents (serverapi.Problem), not huma's model.
	reg := s.api.OpenAPI().Components.Schemas
	reg.Map()["ErrorModel"] = reg.Schema(reflect.TypeFor[serverapi.Problem](), true, "Problem")
}
