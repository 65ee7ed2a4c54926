package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// Login logs in with a username and password (POST /api/v1/session) and
// returns the session; use its Token as the client's token. A throttled
// login is a RESOURCE_EXHAUSTED error.
func (c *Client) Login(ctx context.Context, username, password string, opts ...CallOption) (serverapi.Session, error) {
	var s serverapi.Session
	_, err := c.call(ctx, http.MethodPost, "/api/v1/session", serverapi.LoginRequest{Username: username, Password: password}, &s, opts...)
	return s, err
}

// Logout ends the client's session (DELETE /api/v1/session).
func (c *Client) Logout(ctx context.Context, opts ...CallOption) error {
	_, err := c.call(ctx, http.MethodDelete, "/api/v1/session", nil, nil, opts...)
	return err
}

// CreateTenant creates a tenant (admin).
func (c *Client) CreateTenant(ctx context.Context, req serverapi.TenantCreate, opts ...CallOption) (serverapi.Tenant, error) {
	var t serverapi.Tenant
	_, err := c.call(ctx, http.MethodPost, "/api/v1/tenants", req, &t, opts...)
	return t, err
}

// ListTenants returns every tenant (admin).
func (c *Client) ListTenants(ctx context.Context, opts ...CallOption) ([]serverapi.Tenant, error) {
	var l serverapi.TenantList
	_, err := c.call(ctx, http.MethodGet, "/api/v1/tenants", nil, &l, opts...)
	return l.Items, err
}

// DeleteTenant deletes an empty tenant (admin).
func (c *Client) DeleteTenant(ctx context.Context, id string, opts ...CallOption) error {
	if err := arca.CheckTenantID(id); err != nil {
		return err
	}
	_, err := c.call(ctx, http.MethodDelete, "/api/v1/tenants/"+id, nil, nil, opts...)
	return err
}

// CreateUser creates a user.
func (c *Client) CreateUser(ctx context.Context, req serverapi.UserCreate, opts ...CallOption) (serverapi.User, error) {
	var u serverapi.User
	_, err := c.call(ctx, http.MethodPost, "/api/v1/users", req, &u, opts...)
	return u, err
}

// AllUsers returns every user the caller sees (of tenant, for admins; ""
// for all).
func (c *Client) AllUsers(ctx context.Context, tenant string, opts ...CallOption) ([]serverapi.User, error) {
	return allPages(ctx, func(ctx context.Context, cursor string) ([]serverapi.User, string, error) {
		var l serverapi.UserList
		q := pageQuery(url.Values{}, cursor, 0)
		if tenant != "" {
			q.Set("tenant", tenant)
		}
		_, err := c.call(ctx, http.MethodGet, withQuery("/api/v1/users", q), nil, &l, opts...)
		return l.Items, l.NextCursor, err
	})
}

// GetUser returns a user.
func (c *Client) GetUser(ctx context.Context, id string, opts ...CallOption) (serverapi.User, error) {
	var u serverapi.User
	if err := arca.CheckID("user", id); err != nil {
		return u, err
	}
	_, err := c.call(ctx, http.MethodGet, "/api/v1/users/"+id, nil, &u, opts...)
	return u, err
}

// UpdateUser changes a user's roles, password or disabled flag.
func (c *Client) UpdateUser(ctx context.Context, id string, p serverapi.UserPatch, opts ...CallOption) (serverapi.User, error) {
	var u serverapi.User
	if err := arca.CheckID("user", id); err != nil {
		return u, err
	}
	_, err := c.call(ctx, http.MethodPatch, "/api/v1/users/"+id, p, &u, opts...)
	return u, err
}

// DeleteUser deletes a user and its sessions.
func (c *Client) DeleteUser(ctx context.Context, id string, opts ...CallOption) error {
	if err := arca.CheckID("user", id); err != nil {
		return err
	}
	_, err := c.call(ctx, http.MethodDelete, "/api/v1/users/"+id, nil, nil, opts...)
	return err
}

// CreateToken creates an API token; the answer's Secret is shown this once.
func (c *Client) CreateToken(ctx context.Context, req serverapi.TokenCreate, opts ...CallOption) (serverapi.TokenCreated, error) {
	var t serverapi.TokenCreated
	_, err := c.call(ctx, http.MethodPost, "/api/v1/tokens", req, &t, opts...)
	return t, err
}

// AllTokens returns every API token the caller sees (never their secrets).
func (c *Client) AllTokens(ctx context.Context, tenant string, opts ...CallOption) ([]serverapi.Token, error) {
	return allPages(ctx, func(ctx context.Context, cursor string) ([]serverapi.Token, string, error) {
		var l serverapi.TokenList
		q := pageQuery(url.Values{}, cursor, 0)
		if tenant != "" {
			q.Set("tenant", tenant)
		}
		_, err := c.call(ctx, http.MethodGet, withQuery("/api/v1/tokens", q), nil, &l, opts...)
		return l.Items, l.NextCursor, err
	})
}

// RevokeToken revokes an API token.
func (c *Client) RevokeToken(ctx context.Context, id string, opts ...CallOption) error {
	if err := arca.CheckID("token", id); err != nil {
		return err
	}
	_, err := c.call(ctx, http.MethodDelete, "/api/v1/tokens/"+id, nil, nil, opts...)
	return err
}

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	Tenant, Principal, Action string
	Since, Until              time.Time
	Limit                     int
}

// ListAudit returns one page of the audit log, newest first.
func (c *Client) ListAudit(ctx context.Context, f AuditFilter, cursor string, opts ...CallOption) (serverapi.AuditList, error) {
	q := pageQuery(url.Values{}, cursor, f.Limit)
	for k, v := range map[string]string{"tenant": f.Tenant, "principal": f.Principal, "action": f.Action} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	var l serverapi.AuditList
	_, err := c.call(ctx, http.MethodGet, withQuery("/api/v1/audit", q), nil, &l, opts...)
	return l, err
}
