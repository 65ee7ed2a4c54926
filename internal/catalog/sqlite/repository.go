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

// repositoryColumns are the columns scanRepository reads, in its order.
const repositoryColumns = `id, tenant, name, kind, path, endpoint, bucket, prefix, region, insecure,
	repo_id, secret, created_at, updated_at`

// CreateRepository inserts r; a taken name or id is an ALREADY_EXISTS error.
func (db *DB) CreateRepository(ctx context.Context, r arca.Repository) error {
	r, err := catalog.PrepareRepository(r, time.Now())
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO repositories (`+repositoryColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Tenant, r.Name, string(r.Kind), r.Path, r.Endpoint, r.Bucket, r.Prefix, r.Region,
			r.Insecure, r.RepoID, r.Secret, ts(r.CreatedAt), ts(r.UpdatedAt))
		if isUnique(err) {
			return repositoryClash(ctx, tx, r)
		}
		if err != nil {
			return fmt.Errorf("create repository %s: %w", r.ID, err)
		}
		return nil
	})
}

// repositoryClash tells a taken id from a taken name after a unique
// violation on inserting r.
func repositoryClash(ctx context.Context, tx *sql.Tx, r arca.Repository) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM repositories WHERE id = ?`, r.ID).Scan(&one)
	switch {
	case err == nil:
		return catalog.IDTaken("repository", r.ID)
	case errors.Is(err, sql.ErrNoRows):
		return catalog.NameTaken("repository", r.Name)
	}
	return fmt.Errorf("create repository %s: %w", r.ID, err)
}

// GetRepository returns a repository or a NOT_FOUND error.
func (db *DB) GetRepository(ctx context.Context, id string) (arca.Repository, error) {
	r, err := scanRepository(db.read.QueryRowContext(ctx,
		`SELECT `+repositoryColumns+` FROM repositories WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return arca.Repository{}, catalog.RepositoryNotFound(id)
	}
	if err != nil {
		return arca.Repository{}, fmt.Errorf("get repository %s: %w", id, err)
	}
	return r, nil
}

// ListRepositories returns the repositories that match f, by id.
func (db *DB) ListRepositories(ctx context.Context, f catalog.ResourceFilter) ([]arca.Repository, error) {
	where, params := resourceWhere(f, nil, nil)
	rows, err := db.read.QueryContext(ctx, `SELECT `+repositoryColumns+` FROM repositories`+where+
		` ORDER BY id LIMIT ?`, append(params, catalog.ListLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	defer rows.Close()
	var out []arca.Repository
	for rows.Next() {
		r, err := scanRepository(rows)
		if err != nil {
			return nil, fmt.Errorf("list repositories: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	return out, nil
}

// UpdateRepository replaces the mutable fields of a repository.
func (db *DB) UpdateRepository(ctx context.Context, r arca.Repository) error {
	r, err := catalog.PrepareRepository(r, time.Now())
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE repositories SET name = ?, kind = ?, path = ?, endpoint = ?,
			bucket = ?, prefix = ?, region = ?, insecure = ?, repo_id = ?, secret = ?, updated_at = ?
			WHERE id = ?`,
			r.Name, string(r.Kind), r.Path, r.Endpoint, r.Bucket, r.Prefix, r.Region, r.Insecure, r.RepoID,
			r.Secret, ts(r.UpdatedAt), r.ID)
		if isUnique(err) {
			return catalog.NameTaken("repository", r.Name)
		}
		if err != nil {
			return fmt.Errorf("update repository %s: %w", r.ID, err)
		}
		return wantOneRow(res, catalog.RepositoryNotFound(r.ID))
	})
}

// DeleteRepository deletes a repository no source targets, and its cached
// snapshots (by the foreign key's cascade).
func (db *DB) DeleteRepository(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sources WHERE repository_id = ?`, id).Scan(&n)
		if err != nil {
			return fmt.Errorf("delete repository %s: %w", id, err)
		}
		if n > 0 {
			return catalog.RepositoryInUse(id, n)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM repositories WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete repository %s: %w", id, err)
		}
		return wantOneRow(res, catalog.RepositoryNotFound(id))
	})
}

// scanRepository reads one row of repositoryColumns.
func scanRepository(row scanner) (arca.Repository, error) {
	var r arca.Repository
	var created, updated string
	err := row.Scan(&r.ID, &r.Tenant, &r.Name, &r.Kind, &r.Path, &r.Endpoint, &r.Bucket, &r.Prefix,
		&r.Region, &r.Insecure, &r.RepoID, &r.Secret, &created, &updated)
	if err != nil {
		return arca.Repository{}, err
	}
	if len(r.Secret) == 0 {
		r.Secret = nil
	}
	if r.CreatedAt, err = parseTime(created); err != nil {
		return arca.Repository{}, err
	}
	r.UpdatedAt, err = parseTime(updated)
	return r, err
}

// resourceWhere returns the WHERE clause (or "") and its arguments for a
// resource filter plus extra conditions (each with one "?" and its value).
func resourceWhere(f catalog.ResourceFilter, conds []string, vals []any) (string, []any) {
	if f.Tenant != "" {
		conds, vals = append(conds, "tenant = ?"), append(vals, f.Tenant)
	}
	if f.After != "" {
		conds, vals = append(conds, "id > ?"), append(vals, f.After)
	}
	if len(conds) == 0 {
		return "", vals
	}
	return " WHERE " + strings.Join(conds, " AND "), vals
}

// wantOneRow returns notFound when res changed no row.
func wantOneRow(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}
