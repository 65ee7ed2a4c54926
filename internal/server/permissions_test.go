package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/catalog/postgres"
	"github.com/arcabackup/arca/internal/catalog/sqlite"
	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/location"
	"github.com/arcabackup/arca/internal/seal"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/testenv"
)

// The permission matrix: every route of the API, as the router knows it
// (the OpenAPI paths of the huma API), × every role × a resource of the
// caller's own tenant and of another tenant → the status the permission
// table and tenant scoping call for. A route added without a declared
// action, or with path parameters this file has no fixture for, fails here.

// fixtures makes a resource of a tenant for the path parameter {id} of the
// routes under each prefix (the longest matching prefix wins). To add a
// resource type, add its prefix and a function that creates one.
var fixtures = map[string]func(e *matrixEnv, tenant string) string{
	"/api/v1/tasks/":        (*matrixEnv).task,
	"/api/v1/repositories/": (*matrixEnv).repository,
	"/api/v1/sources/":      (*matrixEnv).source,
	"/api/v1/snapshots/":    (*matrixEnv).snapshot,
	"/api/v1/users/":        (*matrixEnv).user,
	"/api/v1/tokens/":       (*matrixEnv).token,
	"/api/v1/tenants/":      (*matrixEnv).tenant,
}

// queries are the query strings routes need to reach their handler (a
// missing required parameter is refused before the tenant check).
var queries = map[string]string{
	"/api/v1/snapshots/{id}/tree":    "path=/",
	"/api/v1/snapshots/{id}/file":    "path=/a",
	"/api/v1/snapshots/{id}/archive": "path=/",
}

// bodies are request bodies for routes whose handler is only reached with
// a valid one; every other POST, PUT and PATCH sends {}.
var bodies = map[string]string{
	"POST /api/v1/restores":            `{"snapshot_id":"` + strings.Repeat("a", 64) + `","target":{"path":"/tmp/x"}}`,
	"POST /api/v1/backups":             `{"source_ids":["00000000-0000-7000-8000-000000000000"]}`,
	"POST /api/v1/sources/{id}/backup": `{}`,
}

// public are the routes reachable without a credential.
var public = map[string]bool{"GET /healthz": true, "GET /readyz": true, "POST " + loginPath: true}

// roleCases are the principals of the matrix: each tenant role of tenant
// acme, and the system admin (of the default tenant).
var roleCases = []struct {
	name   string
	tenant string
	role   arca.Role
}{
	{"viewer", "acme", arca.RoleViewer},
	{"operator", "acme", arca.RoleOperator},
	{"tenant-admin", "acme", arca.RoleTenantAdmin},
	{"admin", arca.DefaultTenant, arca.RoleAdmin},
}

type matrixEnv struct {
	t     *testing.T
	ctx   context.Context
	srv   *Server
	db    catalog.Store
	tasks *fakeTasks
	ident *auth.Service
	logs  *bytes.Buffer
	boss  arca.Principal // acts on the catalog to make fixtures
	n     int
}

// newMatrix is the server with every route on a SQLite catalog.
func newMatrix(t *testing.T) *matrixEnv {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newMatrixOn(t, db)
}

// newMatrixOn is the server with every route on the catalog db.
func newMatrixOn(t *testing.T, db catalog.Store) *matrixEnv {
	t.Helper()
	ctx := t.Context()
	for _, id := range []string{"acme", "globex"} {
		if err := db.CreateTenant(ctx, arca.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	key, _ := seal.NewKey()
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	repos := ops.NewRepos(box, location.NewRegistry(), repo.OpenOptions{}, repo.KDFParams{})
	svc := ops.NewService(db, repos, source.NewRegistry(), box, ops.Options{RestoreRoots: []string{t.TempDir()}})
	ident := auth.NewService(db, auth.ServiceOptions{Password: auth.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	logs := &bytes.Buffer{}
	ft := newFakeTasks()
	srv := New(Options{Tasks: ft, Auth: ident, Identity: ident, Directory: db, Ready: db, Catalog: db, Ops: svc,
		Logger: slog.New(LogHandler(slog.NewJSONHandler(logs, nil)))})
	return &matrixEnv{t: t, ctx: ctx, srv: srv, db: db, tasks: ft, ident: ident, logs: logs,
		boss: arca.Principal{ID: "boss", Tenant: arca.DefaultTenant, Roles: []arca.Role{arca.RoleAdmin}}}
}

func (e *matrixEnv) next() int { e.n++; return e.n }

func (e *matrixEnv) task(tenant string) string {
	return e.tasks.add(arca.Task{Tenant: tenant, Operation: OpSelftest, State: arca.TaskSucceeded}).ID
}

func (e *matrixEnv) repository(tenant string) string {
	r := arca.Repository{ID: arca.NewID(time.Now()), Tenant: tenant, Name: fmt.Sprintf("repo-%d", e.next()),
		Kind: arca.RepositoryLocal, Path: e.t.TempDir()}
	if err := e.db.CreateRepository(e.ctx, r); err != nil {
		e.t.Fatalf("fixture repository: %v", err)
	}
	return r.ID
}

func (e *matrixEnv) source(tenant string) string {
	s := arca.Source{ID: arca.NewID(time.Now()), Tenant: tenant, Name: fmt.Sprintf("src-%d", e.next()), Kind: "fs",
		RepositoryID: e.repository(tenant), Settings: json.RawMessage(`{"paths":["/tmp"]}`)}
	if err := e.db.CreateSource(e.ctx, s); err != nil {
		e.t.Fatalf("fixture source: %v", err)
	}
	return s.ID
}

func (e *matrixEnv) snapshot(tenant string) string {
	id := fmt.Sprintf("%064x", e.next())
	s := arca.Snapshot{ID: id, Tenant: tenant, RepositoryID: e.repository(tenant), Time: time.Now(), Tree: strings.Repeat("b", 64)}
	if err := e.db.PutSnapshot(e.ctx, s); err != nil {
		e.t.Fatalf("fixture snapshot: %v", err)
	}
	return id
}

func (e *matrixEnv) user(tenant string) string {
	u, err := e.ident.CreateUser(e.ctx, e.boss, auth.NewUser{Tenant: tenant, Username: fmt.Sprintf("user%d", e.next()),
		Password: "correct horse battery staple", Roles: []arca.Role{arca.RoleViewer}})
	if err != nil {
		e.t.Fatalf("fixture user: %v", err)
	}
	return u.ID
}

func (e *matrixEnv) token(tenant string) string {
	_, tok, err := e.ident.CreateToken(e.ctx, e.boss, auth.NewAPIToken{Tenant: tenant, Name: "fixture", Roles: []arca.Role{arca.RoleViewer}})
	if err != nil {
		e.t.Fatalf("fixture token: %v", err)
	}
	return tok.ID
}

// tenant makes a new empty tenant (tenant routes are admin-only: the
// tenant asked for does not matter).
func (e *matrixEnv) tenant(string) string {
	id := fmt.Sprintf("t%d", e.next())
	if err := e.db.CreateTenant(e.ctx, arca.Tenant{ID: id}); err != nil {
		e.t.Fatalf("fixture tenant: %v", err)
	}
	return id
}

// credential returns a new API token of role in tenant.
func (e *matrixEnv) credential(tenant string, role arca.Role) string {
	plain, _, err := e.ident.CreateToken(e.ctx, e.boss, auth.NewAPIToken{Tenant: tenant, Name: string(role), Roles: []arca.Role{role}})
	if err != nil {
		e.t.Fatal(err)
	}
	return plain
}

func (e *matrixEnv) do(method, path, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.10:4711"
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

// route is one operation of the API.
type route struct {
	method, path string
	action       auth.Action
}

func (r route) String() string { return r.method + " " + r.path }

// routes enumerates the API's operations from the router's OpenAPI paths.
func routes(api huma.API) []route {
	var out []route
	for path, item := range api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPut: item.Put, http.MethodPatch: item.Patch, http.MethodDelete: item.Delete, http.MethodHead: item.Head} {
			if op != nil {
				out = append(out, route{method, path, ActionOf(op)})
			}
		}
	}
	slices.SortFunc(out, func(a, b route) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// fixtureFor returns the fixture maker of a route with path parameters.
func fixtureFor(path string) (func(*matrixEnv, string) string, bool) {
	best := ""
	for prefix := range fixtures {
		if strings.HasPrefix(path, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	return fixtures[best], best != ""
}

// concrete fills a route's path parameters with a new fixture of tenant
// and adds its query string; it returns the path and the fixture id ("" for
// a route without parameters).
func (e *matrixEnv) concrete(t *testing.T, r route, tenant string) (string, string, bool) {
	if !strings.Contains(r.path, "{") {
		return withQuery(r.path, r.path), "", true
	}
	make, ok := fixtureFor(r.path)
	if !ok {
		t.Errorf("%s has path parameters but the permission matrix has no fixture for them: add its path prefix "+
			"and a function that creates such a resource to fixtures in internal/server/permissions_test.go", r)
		return "", "", false
	}
	id := make(e, tenant)
	p := strings.ReplaceAll(r.path, "{id}", id)
	if strings.Contains(p, "{") {
		t.Errorf("%s has path parameters other than {id}: extend concrete in internal/server/permissions_test.go", r)
		return "", "", false
	}
	return withQuery(p, r.path), id, true
}

func withQuery(p, pattern string) string {
	if q := queries[pattern]; q != "" {
		return p + "?" + q
	}
	return p
}

func bodyFor(r route) string {
	if b, ok := bodies[r.String()]; ok {
		return b
	}
	if r.method == http.MethodPost || r.method == http.MethodPut || r.method == http.MethodPatch {
		return "{}"
	}
	return ""
}

func TestPermissionMatrix(t *testing.T) { testPermissionMatrix(t, newMatrix(t)) }

// TestPermissionMatrixPostgres runs the matrix on a PostgreSQL catalog.
func TestPermissionMatrixPostgres(t *testing.T) {
	url, schema := testenv.PostgresSchema(t)
	db, err := postgres.OpenSchema(t.Context(), url, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	testPermissionMatrix(t, newMatrixOn(t, db))
}

func testPermissionMatrix(t *testing.T, e *matrixEnv) {
	all := routes(e.srv.API())
	for _, want := range []string{"GET /api/v1/tasks", "POST /api/v1/repositories", "POST /api/v1/users", "GET /api/v1/audit"} {
		if !slices.ContainsFunc(all, func(r route) bool { return r.String() == want }) {
			t.Fatalf("the router has no %s: the matrix is not seeing the whole API", want)
		}
	}
	t.Logf("%d routes", len(all))
	creds := map[string]string{}
	for _, rc := range roleCases {
		creds[rc.name] = e.credential(rc.tenant, rc.role)
	}
	for _, r := range all {
		if public[r.String()] {
			continue
		}
		if r.action == "" || !auth.Known(r.action) {
			t.Errorf("%s declares no known action (%q): register it with server.register and an action of the auth permission table", r, r.action)
			continue
		}
		for _, rc := range roleCases {
			p := arca.Principal{Tenant: rc.tenant, Roles: []arca.Role{rc.role}}
			allowed := (auth.Roles{}).Permit(p, r.action) == nil
			for _, side := range []string{"own", "other"} {
				tenant := rc.tenant
				if side == "other" {
					tenant = "globex"
				}
				path, id, ok := e.concrete(t, r, tenant)
				if !ok {
					break
				}
				if id == "" && side == "other" {
					continue // no resource: the tenant is the caller's own
				}
				w := e.do(r.method, path, creds[rc.name], bodyFor(r))
				check(t, fmt.Sprintf("%s as %s on a resource of %s tenant", r, rc.name, side), w, r, id,
					expect(allowed, side == "other" && rc.role != arca.RoleAdmin))
			}
		}
	}
	checkListsScoped(t, e, all, creds)
}

// checkListsScoped: every list route (a GET without path parameters),
// called by a principal of acme, returns no item of another tenant; the
// matrix has created resources of globex by then.
func checkListsScoped(t *testing.T, e *matrixEnv, all []route, creds map[string]string) {
	for _, r := range all {
		if r.method != http.MethodGet || strings.Contains(r.path, "{") || public[r.String()] {
			continue
		}
		for _, rc := range roleCases {
			if rc.role == arca.RoleAdmin {
				continue
			}
			w := e.do(r.method, withQuery(r.path, r.path), creds[rc.name], "")
			if w.Code != http.StatusOK {
				continue
			}
			var page struct {
				Items []map[string]any `json:"items"`
			}
			if json.Unmarshal(w.Body.Bytes(), &page) != nil {
				continue // not a list
			}
			for _, it := range page.Items {
				if tenant, ok := it["tenant"].(string); ok && tenant != rc.tenant {
					t.Errorf("%s as %s of %s lists an item of tenant %s: %v", r, rc.name, rc.tenant, tenant, it)
				}
			}
		}
	}
}

// outcome is what a request of the matrix must answer.
type outcome int

const (
	denied   outcome = iota // 403 PERMISSION_DENIED naming the action
	hidden                  // 404: the resource does not exist for the caller
	admitted                // the handler ran: neither 401, 403 nor a 404 of the fixture
)

func expect(allowed, otherTenant bool) outcome {
	switch {
	case !allowed:
		return denied
	case otherTenant:
		return hidden
	}
	return admitted
}

func check(t *testing.T, what string, w *httptest.ResponseRecorder, r route, id string, want outcome) {
	t.Helper()
	var p serverapi.Problem
	if w.Code >= 400 {
		_ = json.Unmarshal(w.Body.Bytes(), &p)
	}
	switch want {
	case denied:
		if w.Code != http.StatusForbidden || p.Code != "PERMISSION_DENIED" || !strings.Contains(p.Detail, string(r.action)) {
			t.Errorf("%s: %d %s, want 403 PERMISSION_DENIED naming %s", what, w.Code, w.Body, r.action)
		}
	case hidden:
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: %d %s, want 404 (another tenant's resource does not exist for the caller; if the "+
				"request was refused before the handler ran, give the route a valid body or query in bodies or queries)", what, w.Code, w.Body)
		}
	case admitted:
		if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden ||
			w.Code == http.StatusNotFound && (p.Details["id"] == id || strings.Contains(p.Detail, id)) {
			t.Errorf("%s: %d %s, want the handler to run", what, w.Code, w.Body)
		}
	}
}

// login logs a fixture user in (its password is the fixture's) and returns
// the session token.
func (e *matrixEnv) login(t *testing.T, username string) string {
	t.Helper()
	w := e.do("POST", loginPath, "", `{"username":"`+username+`","password":"correct horse battery staple"}`)
	var s serverapi.Session
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &s) != nil || s.Token == "" {
		t.Fatalf("login %s: %d %s", username, w.Code, w.Body)
	}
	return s.Token
}

func userFilterAll() catalog.UserFilter { return catalog.UserFilter{} }
