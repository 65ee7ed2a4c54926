package arca

import "time"

// AuditEntry records one state-changing request: who made it, in which
// tenant, what it asked (the route's action and target) and how it ended.
// It never holds a request body, a header or a query string, so no secret
// can end up in it.
type AuditEntry struct {
	ID            string    `json:"id"` // time-sortable
	Time          time.Time `json:"time"`
	Tenant        string    `json:"tenant"` // of the resource acted on when known, else the principal's
	PrincipalID   string    `json:"principal_id"`
	PrincipalKind string    `json:"principal_kind"`
	PrincipalName string    `json:"principal_name"`
	Action        string    `json:"action"` // the route's declared action, e.g. "repository.write"
	Method        string    `json:"method"`
	Target        string    `json:"target"` // the request path: ids, never secrets
	Status        int       `json:"status"` // HTTP status of the answer
	RequestID     string    `json:"request_id"`
	RemoteAddr    string    `json:"remote_addr"`
}
