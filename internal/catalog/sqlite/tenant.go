package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// CreateTenant stores a tenant; a taken id is an ALREADY_EXISTS error.
func (db *DB) CreateTenant(ctx context.Context, t arca.Tenant) error {
	t, err := catalog.PrepareTenant(t, time.Now())
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)`,
			t.ID, t.Name, ts(t.CreatedAt))
		if isUnique(err) {
			return catalog.TenantExists(t.ID)
		}
		if err != nil {
			return fmt.Errorf("create tenant %s: %w", t.ID, err)
		}
		return nil
	})
}

// GetTenant returns a tenant or a NOT_FOUND error.
func (db *DB) GetTenant(ctx context.Context, id string) (arca.Tenant, error) {
	t, err := scanTenant(db.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM tenants WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, catalog.TenantNotFound(id)
	}
	return t, err
}

func scanTenant(row scanner) (arca.Tenant, error) {
	var t arca.Tenant
	var created string
	if err := row.Scan(&t.ID, &t.Name, &created); err != nil {
		return t, err
	}
	var err error
	t.CreatedAt, err = parseTime(created)
	return t, err
}

// ListTenants returns every tenant, ordered by id.
func (db *DB) ListTenants(ctx context.Context) ([]arca.Tenant, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, created_at FROM tenants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	out := []arca.Tenant{}
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// tenantUsers are the tables whose rows belong to a tenant, with what a
// user calls them: a tenant with rows in any of them cannot be deleted.
var tenantUsers = [][2]string{{"users", "users"}, {"api_tokens", "API tokens"},
	{"repositories", "repositories"}, {"sources", "sources"}}

// DeleteTenant deletes an empty tenant.
func (db *DB) DeleteTenant(ctx context.Context, id string) error {
	if id == arca.DefaultTenant {
		return catalog.DefaultTenantKept()
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var in []string
		for _, tu := range tenantUsers {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+tu[0]+` WHERE tenant = ?`, id).Scan(&n)
			if err != nil {
				return fmt.Errorf("delete tenant %s: %w", id, err)
			}
			if n > 0 {
				in = append(in, tu[1])
			}
		}
		if len(in) > 0 {
			return catalog.TenantInUse(id, strings.Join(in, ", "))
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete tenant %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return catalog.TenantNotFound(id)
		}
		return nil
	})
}
