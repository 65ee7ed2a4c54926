package arca

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Role is what a principal may do within a tenant.
type Role string

// The roles. RoleAdmin is the system role that spans tenants.
const (
	RoleViewer      Role = "viewer"
	RoleOperator    Role = "operator"
	RoleTenantAdmin Role = "tenant-admin"
	RoleAdmin       Role = "admin"
)

// Principal is who makes a request: a user or an API token.
type Principal struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"` // "token" or "user"
	Name   string `json:"name"`
	Tenant string `json:"tenant"`
	Roles  []Role `json:"roles"`
	// SessionID is the session a user authenticated with ("" for tokens).
	SessionID string `json:"-"`
}

// HasRole reports whether p holds r.
func (p Principal) HasRole(r Role) bool {
	for _, have := range p.Roles {
		if have == r {
			return true
		}
	}
	return false
}

// Tenant is an isolation boundary.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// APIToken is a bearer credential for automation. Only a hash of its secret
// is ever stored.
type APIToken struct {
	ID         string
	Tenant     string
	Name       string
	Roles      []Role
	SecretHash []byte
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// Usable reports whether the token may authenticate at now.
func (t APIToken) Usable(now time.Time) bool {
	if t.RevokedAt != nil {
		return false
	}
	return t.ExpiresAt == nil || now.Before(*t.ExpiresAt)
}

// The kinds of principal.
const (
	PrincipalUser  = "user"  // a user, through a session
	PrincipalToken = "token" // an API token
)

// Roles lists every role from least to most.
func Roles() []Role { return []Role{RoleViewer, RoleOperator, RoleTenantAdmin, RoleAdmin} }

// Rank orders the roles: each includes what the roles ranked below it may
// do. An unknown role ranks 0 and grants nothing.
func (r Role) Rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleOperator:
		return 2
	case RoleTenantAdmin:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.Rank() > 0 }

// Top returns the highest of p's roles ("" for none).
func (p Principal) Top() Role {
	var top Role
	for _, r := range p.Roles {
		if r.Rank() > top.Rank() {
			top = r
		}
	}
	return top
}

// CheckRoles returns an INVALID_ARGUMENT error for an empty list or a role
// that does not exist.
func CheckRoles(roles []Role) error {
	if len(roles) == 0 {
		return &Error{Code: CodeInvalidArgument, Message: "Give at least one role: viewer, operator, tenant-admin or admin.",
			Fields: []FieldError{{Field: "roles", Message: "empty"}}}
	}
	for _, r := range roles {
		if !r.Valid() {
			return &Error{Code: CodeInvalidArgument,
				Message: fmt.Sprintf("%q is not a role: use viewer, operator, tenant-admin or admin.", r),
				Fields:  []FieldError{{Field: "roles", Message: "unknown role " + strconv.Quote(string(r))}}}
		}
	}
	return nil
}

// CheckTenantID returns an INVALID_ARGUMENT error unless s is a tenant id:
// 1 to 63 lower-case letters, digits and dashes, starting with a letter or
// digit.
func CheckTenantID(s string) error {
	if !slug(s, 63, "-") {
		return &Error{Code: CodeInvalidArgument,
			Message: fmt.Sprintf("%q is not a valid tenant id: use 1 to 63 lower-case letters, digits and dashes, for example \"acme\".", s),
			Fields:  []FieldError{{Field: "tenant", Message: "not a valid tenant id"}}}
	}
	return nil
}

// slug reports whether s is 1 to max characters of a-z, 0-9 and extra,
// starting with a letter or digit.
func slug(s string, max int, extra string) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i, c := range s {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune(extra, c)) {
			return false
		}
	}
	return true
}
