package serverapi

import "time"

// Tenant is an isolation boundary.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// TenantCreate is the body of POST /api/v1/tenants.
type TenantCreate struct {
	ID   string `json:"id" minLength:"1" maxLength:"63" doc:"Lower-case letters, digits and dashes, for example \"acme\"."`
	Name string `json:"name,omitempty" maxLength:"200" doc:"Display name; the id when empty."`
}

// TenantList is a list of tenants.
type TenantList struct {
	Items []Tenant `json:"items"`
}

// User is a person who logs in. Its password hash is never sent.
type User struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Username  string    `json:"username"`
	Roles     []string  `json:"roles"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UserCreate is the body of POST /api/v1/users.
type UserCreate struct {
	Tenant   string   `json:"tenant,omitempty" maxLength:"63" doc:"Tenant of the user; the caller's own when empty (only admins may name another)."`
	Username string   `json:"username" minLength:"1" maxLength:"128"`
	Password string   `json:"password" minLength:"1" maxLength:"1024" doc:"At least 12 characters; never returned or logged."`
	Roles    []string `json:"roles" minItems:"1" maxItems:"4" doc:"viewer, operator, tenant-admin or admin; never above the caller's own."`
}

// UserPatch is the body of PATCH /api/v1/users/{id}: absent fields stay.
type UserPatch struct {
	Roles    []string `json:"roles,omitempty" maxItems:"4"`
	Password *string  `json:"password,omitempty" maxLength:"1024" doc:"A new password; ends the user's sessions."`
	Disabled *bool    `json:"disabled,omitempty" doc:"A disabled user cannot log in; disabling ends its sessions."`
}

// UserList is one page of users.
type UserList struct {
	Items      []User `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Token is an API token as listed: never its secret.
type Token struct {
	ID         string     `json:"id"`
	Tenant     string     `json:"tenant"`
	Name       string     `json:"name"`
	Roles      []string   `json:"roles"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// TokenCreate is the body of POST /api/v1/tokens.
type TokenCreate struct {
	Tenant    string     `json:"tenant,omitempty" maxLength:"63" doc:"Tenant of the token; the caller's own when empty (only admins may name another)."`
	Name      string     `json:"name" minLength:"1" maxLength:"200"`
	Roles     []string   `json:"roles" minItems:"1" maxItems:"4" doc:"Never above the caller's own."`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the token stops working; never when absent."`
}

// TokenCreated answers POST /api/v1/tokens: the only time the secret is shown.
type TokenCreated struct {
	Token  Token  `json:"token"`
	Secret string `json:"secret" doc:"The bearer token, arca_<id>_<secret>: shown once, stored only as a hash."`
}

// TokenList is one page of tokens.
type TokenList struct {
	Items      []Token `json:"items"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// LoginRequest is the body of POST /api/v1/session.
type LoginRequest struct {
	Username string `json:"username" minLength:"1" maxLength:"128"`
	Password string `json:"password" minLength:"1" maxLength:"1024"`
}

// Session answers a login: a bearer token for the session.
type Session struct {
	Token       string    `json:"token" doc:"Send as \"Authorization: Bearer <token>\"; shown once."`
	ExpiresAt   time.Time `json:"expires_at" doc:"Absolute end of the session."`
	IdleSeconds int       `json:"idle_timeout_seconds" doc:"The session ends after this long without a request."`
	Principal   Principal `json:"principal"`
}

// AuditEntry is one state-changing request.
type AuditEntry struct {
	ID            string    `json:"id"`
	Time          time.Time `json:"time"`
	Tenant        string    `json:"tenant"`
	PrincipalID   string    `json:"principal_id"`
	PrincipalKind string    `json:"principal_kind"`
	PrincipalName string    `json:"principal_name"`
	Action        string    `json:"action"`
	Method        string    `json:"method"`
	Target        string    `json:"target" doc:"The request path."`
	Status        int       `json:"status"`
	RequestID     string    `json:"request_id"`
	RemoteAddr    string    `json:"remote_addr"`
}

// AuditList is one page of the audit log, newest first.
type AuditList struct {
	Items      []AuditEntry `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}
