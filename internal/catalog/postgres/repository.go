package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
	_, err = db.pool.Exec(ctx, `INSERT INTO repositories (`+repositoryColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.Tenant, r.Name, string(r.Kind), r.Path, r.Endpoint, r.Bucket, r.Prefix, r.Region,
		r.Insecure, r.RepoID, r.Secret, ts(r.CreatedAt), ts(r.UpdatedAt))
	switch {
	case isUnique(err, "repositories_pkey"):
		return catalog.IDTaken("repository", r.ID)
	case isUnique(err, "repositories_tenant_name_key"):
		return catalog.NameTaken("repository", r.Name)
	case err != nil:
		return fmt.Errorf("create repository %s: %w", r.ID, err)
	}
	return nil
}

// GetRepository returns a repository or a NOT_FOUND error.
func (db *DB) GetRepository(ctx context.Context, id string) (arca.Repository, error) {
	r, err := scanRepository(db.pool.QueryRow(ctx, `SELECT `+repositoryColumns+` FROM repositories WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return arca.Repository{}, catalog.RepositoryNotFound(id)
	}
	if err != nil {
		return arca.Repository{}, fmt.Errorf("get repository %s: %w", id, err)
	}
	return r, nil
}

// ListRepositories returns the repositories that match f, by id.
func (db *DB) ListRepositories(ctx context.Context, f catalog.ResourceFilter) ([]arca.Repository, error) {
	w := resourceWhere(f)
	rows, err := db.pool.Query(ctx, `SELECT `+repositoryColumns+` FROM repositories`+w.clause()+
		` ORDER BY id LIMIT `+w.arg(catalog.ListLimit(f.Limit)), w.vals...)
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
	tag, err := db.pool.Exec(ctx, `UPDATE repositories SET name = $1, kind = $2, path = $3, endpoint = $4,
		bucket = $5, prefix = $6, region = $7, insecure = $8, repo_id = $9, secret = $10, updated_at = $11
		WHERE id = $12`,
		r.Name, string(r.Kind), r.Path, r.Endpoint, r.Bucket, r.Prefix, r.Region, r.Insecure, r.RepoID,
		r.Secret, ts(r.UpdatedAt), r.ID)
	if isUnique(err, "repositories_tenant_name_key") {
		return catalog.NameTaken("repository", r.Name)
	}
	if err != nil {
		return fmt.Errorf("update repository %s: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return catalog.RepositoryNotFound(r.ID)
	}
	return nil
}

// DeleteRepository deletes a repository no source targets, and its cached
// snapshots (by the foreign key's cascade). The repository's row is locked
// first: a source being created for it (which locks the row in key-share
// mode) is either counted or waits and then finds the repository gone.
func (db *DB) DeleteRepository(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM repositories WHERE id = $1 FOR UPDATE`, id).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.RepositoryNotFound(id)
		}
		if err != nil {
			return fmt.Errorf("delete repository %s: %w", id, err)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sources WHERE repository_id = $1`, id).Scan(&n); err != nil {
			return fmt.Errorf("delete repository %s: %w", id, err)
		}
		if n > 0 {
			return catalog.RepositoryInUse(id, n)
		}
		_, err = tx.Exec(ctx, `DELETE FROM repositories WHERE id = $1`, id)
		if isForeignKey(err, "sources_repository_id_fkey") {
			return catalog.RepositoryInUse(id, 1)
		}
		if err != nil {
			return fmt.Errorf("delete repository %s: %w", id, err)
		}
		return nil
	})
}

// scanRepository reads one row of repositoryColumns.
func scanRepository(row pgx.Row) (arca.Repository, error) {
	var r arca.Repository
	err := row.Scan(&r.ID, &r.Tenant, &r.Name, &r.Kind, &r.Path, &r.Endpoint, &r.Bucket, &r.Prefix,
		&r.Region, &r.Insecure, &r.RepoID, &r.Secret, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return arca.Repository{}, err
	}
	if len(r.Secret) == 0 {
		r.Secret = nil
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

// isForeignKey reports whether err is a foreign key violation of
// constraint.
func isForeignKey(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == constraint
}
