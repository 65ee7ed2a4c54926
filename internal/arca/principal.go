package arca

import "time"

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
