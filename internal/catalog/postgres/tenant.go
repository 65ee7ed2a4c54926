package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// CreateTenant stores a tenant; a taken id is an ALREADY_EXISTS error.
func (db *DB) CreateTenant(ctx context.Context, t arca.Tenant) error {
	t, err := catalog.PrepareTenant(t, time.Now())
	if err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)`, t.ID, t.Name, ts(t.CreatedAt))
	if isUnique(err, "tenants_pkey") {
		return catalog.TenantExists(t.ID)
	}
	if err != nil {
		return fmt.Errorf("create tenant %s: %w", t.ID, err)
	}
	return nil
}

// GetTenant returns a tenant or a NOT_FOUND error.
func (db *DB) GetTenant(ctx context.Context, id string) (arca.Tenant, error) {
	var t arca.Tenant
	err := db.pool.QueryRow(ctx, `SELECT id, name, created_at FROM tenants WHERE id = $1`, id).Scan(&t.ID, &t.Name, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, catalog.TenantNotFound(id)
	}
	if err != nil {
		return t, fmt.Errorf("get tenant %s: %w", id, err)
	}
	t.CreatedAt = ts(t.CreatedAt)
	return t, nil
}

// ListTenants returns every tenant, ordered by id.
func (db *DB) ListTenants(ctx context.Context) ([]arca.Tenant, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, created_at FROM tenants ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (arca.Tenant, error) {
		var t arca.Tenant
		err := r.Scan(&t.ID, &t.Name, &t.CreatedAt)
		t.CreatedAt = ts(t.CreatedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
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
	return db.inTx(ctx, func(tx pgx.Tx) error {
		// Lock the tenant first, so no user is added to it meanwhile.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, id).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.TenantNotFound(id)
		}
		if err != nil {
			return fmt.Errorf("delete tenant %s: %w", id, err)
		}
		var in []string
		for _, tu := range tenantUsers {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+tu[0]+` WHERE tenant = $1`, id).Scan(&n); err != nil {
				return fmt.Errorf("delete tenant %s: %w", id, err)
			}
			if n > 0 {
				in = append(in, tu[1])
			}
		}
		if len(in) > 0 {
			return catalog.TenantInUse(id, strings.Join(in, ", "))
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tenants WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete tenant %s: %w", id, err)
		}
		return nil
	})
}
