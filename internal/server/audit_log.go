package server

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
)

// auditNote collects, while a request is served, what its audit entry
// records: the route's action (set by permit), the principal (set by
// authentication, or by the login handler) and the source address.
type auditNote struct {
	addr string

	mu     sync.Mutex
	action auth.Action
	p      arca.Principal
	tenant string // the tenant of the resource acted on, when known
}

type noteKey struct{}

func withNote(ctx context.Context, n *auditNote) context.Context {
	return context.WithValue(ctx, noteKey{}, n)
}

// noteFrom returns the request's note; a nil note (outside ServeHTTP)
// ignores what it is told.
func noteFrom(ctx context.Context) *auditNote {
	n, _ := ctx.Value(noteKey{}).(*auditNote)
	return n
}

func (n *auditNote) setAction(a auth.Action) {
	if n != nil {
		n.mu.Lock()
		n.action = a
		n.mu.Unlock()
	}
}

// setTenant records the tenant of the resource the request acts on, so
// that an admin's change in a tenant shows in that tenant's audit log.
func (n *auditNote) setTenant(tenant string) {
	if n != nil {
		n.mu.Lock()
		n.tenant = tenant
		n.mu.Unlock()
	}
}

func (n *auditNote) setPrincipal(p arca.Principal) {
	if n != nil {
		n.mu.Lock()
		n.p = p
		n.mu.Unlock()
	}
}

// remoteAddr is the address a request came from ("" outside ServeHTTP).
func remoteAddr(ctx context.Context) string {
	if n := noteFrom(ctx); n != nil {
		return n.addr
	}
	return ""
}

func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// stateChanging reports whether a request may change state: every method
// but GET, HEAD and OPTIONS.
func stateChanging(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// recordAudit appends the audit entry of a state-changing API request. It
// records the principal, the route's action, the path (ids, never a body,
// header or query string: no secret can reach it), the status, the request
// id and the source address. Requests nobody authenticated for are logged
// only in the access log, except logins (failed ones are recorded with the
// username; throttled ones, answered 429 before any check, are not).
func (s *Server) recordAudit(r *http.Request, sw *statusWriter, n *auditNote) {
	if s.opts.Directory == nil || !stateChanging(r.Method) || !apiPath(r.URL.Path) {
		return
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	n.mu.Lock()
	action, p, tenant := n.action, n.p, n.tenant
	n.mu.Unlock()
	if tenant == "" {
		tenant = p.Tenant
	}
	login := action == auth.ActionLogin
	if p.ID == "" && p.Name == "" || login && status == http.StatusTooManyRequests {
		return
	}
	now := s.opts.Now()
	e := arca.AuditEntry{ID: s.auditIDs.next(now), Tenant: tenant, PrincipalID: p.ID, PrincipalKind: p.Kind, PrincipalName: p.Name,
		Action: string(action), Method: r.Method, Target: r.URL.Path, Status: status,
		RequestID: RequestID(r.Context()), RemoteAddr: n.addr, Time: now}
	ctx := context.WithoutCancel(r.Context())
	if err := s.opts.Directory.AppendAudit(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "record audit entry", "err", err, "action", e.Action, "target", e.Target)
	}
}

// auditIDs hands out audit entry ids in strictly increasing order within
// this process, so that entries of the same millisecond list in the order
// they were recorded (arca.NewID is ordered only to the millisecond).
type auditIDs struct {
	mu   sync.Mutex
	last string
}

func (a *auditIDs) next(now time.Time) string {
	id := arca.NewID(now)
	a.mu.Lock()
	defer a.mu.Unlock()
	if id <= a.last {
		id = successor(a.last)
	}
	a.last = id
	return id
}

// successor returns the id one greater than id (hex digits, dashes kept).
func successor(id string) string {
	b := []byte(id)
	for i := len(b) - 1; i >= 0; i-- {
		switch {
		case b[i] == '-':
			continue
		case b[i] == 'f':
			b[i] = '0'
			continue
		case b[i] == '9':
			b[i] = 'a'
		default:
			b[i]++
		}
		break
	}
	return string(b)
}
