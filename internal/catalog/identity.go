package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// TenantStore persists tenants. The tenant "default" always exists.
type TenantStore interface {
	// CreateTenant stores a tenant; a taken id → arca.ErrAlreadyExists.
	CreateTenant(ctx context.Context, t arca.Tenant) error
	// GetTenant returns a tenant or arca.ErrNotFound.
	GetTenant(ctx context.Context, id string) (arca.Tenant, error)
	// ListTenants returns every tenant, ordered by id.
	ListTenants(ctx context.Context) ([]arca.Tenant, error)
	// DeleteTenant deletes an empty tenant. A tenant that still has users,
	// API tokens, repositories or sources → arca.ErrFeatureInUse; the
	// default tenant → arca.ErrNotAllowed; missing → arca.ErrNotFound.
	DeleteTenant(ctx context.Context, id string) error
}

// UserFilter selects users. Zero fields do not filter.
type UserFilter struct {
	Tenant string // "" = every tenant
	After  string // cursor: ids after this one
	Limit  int    // 0 = DefaultListLimit
}

// UserStore persists users.
type UserStore interface {
	// CreateUser stores a user; a taken id or username →
	// arca.ErrAlreadyExists; an unknown tenant → arca.ErrNotFound.
	CreateUser(ctx context.Context, u arca.User) error
	// GetUser returns a user by id or arca.ErrNotFound.
	GetUser(ctx context.Context, id string) (arca.User, error)
	// GetUserByName returns a user by username or arca.ErrNotFound.
	GetUserByName(ctx context.Context, username string) (arca.User, error)
	// ListUsers returns the users that match, ordered by id.
	ListUsers(ctx context.Context, f UserFilter) ([]arca.User, error)
	// UpdateUser stores u's roles, password hash, disabled flag and
	// UpdatedAt (id, tenant and username never change).
	UpdateUser(ctx context.Context, u arca.User) error
	// DeleteUser deletes a user and its sessions.
	DeleteUser(ctx context.Context, id string) error
	// CountUsers returns how many users exist.
	CountUsers(ctx context.Context) (int, error)
}

// SessionStore persists login sessions (their secrets hashed).
type SessionStore interface {
	// CreateSession stores a session of an existing user (else
	// arca.ErrNotFound).
	CreateSession(ctx context.Context, s arca.Session) error
	// GetSession returns a session or arca.ErrNotFound.
	GetSession(ctx context.Context, id string) (arca.Session, error)
	// TouchSession records that the session was used at t.
	TouchSession(ctx context.Context, id string, t time.Time) error
	// DeleteSession ends a session (logout); missing → arca.ErrNotFound.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of a user and returns how many.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// DeleteStaleSessions deletes sessions that ended before now: past their
	// absolute expiry, or unused since now-idle. It returns how many.
	DeleteStaleSessions(ctx context.Context, now time.Time, idle time.Duration) (int, error)
}

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	Tenant    string
	Principal string // principal id
	Action    string
	Since     time.Time // at or after
	Until     time.Time // before
	// Before is a cursor: entries whose id sorts before it (pages go from
	// newest to oldest).
	Before string
	Limit  int // 0 = DefaultListLimit
}

// AuditStore persists the audit log. Entries are appended, never changed.
type AuditStore interface {
	// AppendAudit stores an entry (a new id when ID is empty).
	AppendAudit(ctx context.Context, e arca.AuditEntry) error
	// ListAudit returns the entries that match, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]arca.AuditEntry, error)
}

// TokenFilter selects API tokens. Zero fields do not filter.
type TokenFilter struct {
	Tenant string
	After  string // cursor: ids after this one
	Limit  int    // 0 = DefaultListLimit
}

// IdentityStore is the part of the catalog about who may do what.
type IdentityStore interface {
	TenantStore
	UserStore
	SessionStore
	AuditStore
	TokenStore
}

// PrepareTenant validates a tenant to store and fills in CreatedAt.
func PrepareTenant(t arca.Tenant, now time.Time) (arca.Tenant, error) {
	if err := arca.CheckTenantID(t.ID); err != nil {
		return t, err
	}
	if err := checkText(map[string]string{"name": t.Name}); err != nil {
		return t, err
	}
	if t.Name == "" {
		t.Name = t.ID
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	t.CreatedAt = DBTime(t.CreatedAt)
	return t, nil
}

// PrepareUser validates a user to store and fills in its defaults: a new
// id, the default tenant, CreatedAt and UpdatedAt.
func PrepareUser(u arca.User, now time.Time) (arca.User, error) {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	u.CreatedAt = DBTime(u.CreatedAt)
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	u.UpdatedAt = DBTime(u.UpdatedAt)
	if u.ID == "" {
		u.ID = arca.NewID(u.CreatedAt)
	}
	if u.Tenant == "" {
		u.Tenant = arca.DefaultTenant
	}
	if err := arca.CheckID("user", u.ID); err != nil {
		return u, err
	}
	if err := arca.CheckUsername(u.Username); err != nil {
		return u, err
	}
	if err := arca.CheckRoles(u.Roles); err != nil {
		return u, err
	}
	if u.PasswordHash == "" {
		return u, invalid("password", "A user needs a password.")
	}
	return u, checkText(map[string]string{"tenant": u.Tenant, "password_hash": u.PasswordHash})
}

// PrepareSession validates a session to store.
func PrepareSession(s arca.Session) (arca.Session, error) {
	if err := arca.CheckID("session", s.ID); err != nil {
		return s, err
	}
	if len(s.SecretHash) == 0 || s.UserID == "" || s.ExpiresAt.IsZero() || s.CreatedAt.IsZero() {
		return s, invalid("session", "A session needs a user, a secret hash, a creation and an expiry time.")
	}
	if s.LastSeenAt.IsZero() {
		s.LastSeenAt = s.CreatedAt
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = DBTime(s.CreatedAt), DBTime(s.LastSeenAt), DBTime(s.ExpiresAt)
	return s, nil
}

// PrepareAudit fills in an audit entry's id and time.
func PrepareAudit(e arca.AuditEntry, now time.Time) (arca.AuditEntry, error) {
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = DBTime(e.Time)
	if e.ID == "" {
		e.ID = arca.NewID(e.Time)
	}
	return e, checkText(map[string]string{"id": e.ID, "tenant": e.Tenant, "principal_id": e.PrincipalID,
		"principal_kind": e.PrincipalKind, "principal_name": e.PrincipalName, "action": e.Action,
		"method": e.Method, "target": e.Target, "request_id": e.RequestID, "remote_addr": e.RemoteAddr})
}

// TenantNotFound is the error for a tenant id that does not exist.
func TenantNotFound(id string) error {
	return &arca.Error{Code: arca.CodeNotFound, Message: fmt.Sprintf("No tenant %q.", id),
		Fields: []arca.FieldError{{Field: "tenant", Message: "no such tenant"}}}
}

// TenantExists is the error for a tenant id that is taken.
func TenantExists(id string) error {
	return arca.Errorf(arca.CodeAlreadyExists, "The tenant %q already exists: choose another id.", id)
}

// TenantInUse is the error for deleting a tenant that still has what.
func TenantInUse(id, what string) error {
	return arca.Errorf(arca.CodeFeatureInUse, "The tenant %q still has %s: remove them first.", id, what)
}

// DefaultTenantKept is the error for deleting the default tenant.
func DefaultTenantKept() error {
	return arca.Errorf(arca.CodeNotAllowedInState, "The tenant %q cannot be deleted: every installation keeps it.", arca.DefaultTenant)
}

// UserNotFound is the error for a user that does not exist.
func UserNotFound(id string) error {
	return arca.Errorf(arca.CodeNotFound, "No user %q.", id)
}

// UserExists is the error for a user id or username that is taken.
func UserExists(username string) error {
	return &arca.Error{Code: arca.CodeAlreadyExists, Message: fmt.Sprintf("The username %q is taken: choose another.", username),
		Fields: []arca.FieldError{{Field: "username", Message: "taken"}}}
}

// SessionNotFound is the error for a session that does not exist.
func SessionNotFound(id string) error {
	return arca.Errorf(arca.CodeNotFound, "No session %q.", id)
}
