package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, ts(e.Time), e.Tenant, e.PrincipalID, e.PrincipalKind, e.PrincipalName, e.Action, e.Method,
			e.Target, e.Status, e.RequestID, e.RemoteAddr)
		if err != nil {
			return fmt.Errorf("append audit entry: %w", err)
		}
		return nil
	})
}

// ListAudit returns the entries that match, newest first.
func (db *DB) ListAudit(ctx context.Context, f catalog.AuditFilter) ([]arca.AuditEntry, error) {
	var c clauses
	for _, x := range []struct{ cond, v string }{{"tenant = ?", f.Tenant}, {"principal_id = ?", f.Principal},
		{"action = ?", f.Action}, {"id < ?", f.Before}} {
		if x.v != "" {
			c.add(x.cond, x.v)
		}
	}
	if !f.Since.IsZero() {
		c.add("at >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		c.add("at < ?", ts(f.Until))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log`+c.where()+` ORDER BY id DESC LIMIT ?`,
		append(c.args, catalog.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	out := []arca.AuditEntry{}
	for rows.Next() {
		var e arca.AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Tenant, &e.PrincipalID, &e.PrincipalKind, &e.PrincipalName, &e.Action,
			&e.Method, &e.Target, &e.Status, &e.RequestID, &e.RemoteAddr); err != nil {
			return nil, fmt.Errorf("list audit entries: %w", err)
		}
		if e.Time, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
