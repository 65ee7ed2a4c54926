package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

const auditColumns = `id, at, tenant, principal_id, principal_kind, principal_name, action, method,
	target, status, request_id, remote_addr`

// AppendAudit stores an audit entry.
func (db *DB) AppendAudit(ctx context.Context, e arca.AuditEntry) error {
	e, err := catalog.PrepareAudit(e, time.Now())
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, ts(e.Time), e.Tenant, e.PrincipalID, e.PrincipalKind, e.PrincipalName, e.Action, e.Method,
		e.Target, e.Status, e.RequestID, e.RemoteAddr)
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

// ListAudit returns the entries that match, newest first.
func (db *DB) ListAudit(ctx context.Context, f catalog.AuditFilter) ([]arca.AuditEntry, error) {
	var c clauses
	for _, x := range []struct{ expr, v string }{{"tenant = ", f.Tenant}, {"principal_id = ", f.Principal},
		{"action = ", f.Action}, {"id < ", f.Before}} {
		if x.v != "" {
			c.add(x.expr, x.v)
		}
	}
	if !f.Since.IsZero() {
		c.add("at >= ", ts(f.Since))
	}
	if !f.Until.IsZero() {
		c.add("at < ", ts(f.Until))
	}
	rows, err := db.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log`+c.where()+
		` ORDER BY id DESC LIMIT `+c.next(catalog.ListLimit(f.Limit)), c.args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (arca.AuditEntry, error) {
		var e arca.AuditEntry
		err := r.Scan(&e.ID, &e.Time, &e.Tenant, &e.PrincipalID, &e.PrincipalKind, &e.PrincipalName, &e.Action,
			&e.Method, &e.Target, &e.Status, &e.RequestID, &e.RemoteAddr)
		e.Time = ts(e.Time)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	return out, nil
}
