package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// sourceColumns are the columns scanSource reads, in its order.
const sourceColumns = `id, tenant, name, kind, repository_id, settings, secret, created_at, updated_at`

// CreateSource inserts s, whose repository must exist in its tenant.
func (db *DB) CreateSource(ctx context.Context, s arca.Source) error {
	s, err := catalog.PrepareSource(s, time.Now())
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkSourceRepository(ctx, tx, s); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sources (`+sourceColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			s.ID, s.Tenant, s.Name, string(s.Kind), s.RepositoryID, catalog.RawJSON(s.Settings), s.Secret,
			ts(s.CreatedAt), ts(s.UpdatedAt))
		return sourceWriteError(err, s, "create")
	})
}

// sourceWriteError maps the error of inserting or updating s.
func sourceWriteError(err error, s arca.Source, op string) error {
	switch {
	case err == nil:
		return nil
	case isUnique(err, "sources_pkey"):
		return catalog.IDTaken("source", s.ID)
	case isUnique(err, "sources_tenant_name_key"):
		return catalog.NameTaken("source", s.Name)
	case isForeignKey(err, "sources_repository_id_fkey"):
		return catalog.RepositoryNotFound(s.RepositoryID)
	}
	return fmt.Errorf("%s source %s: %w", op, s.ID, err)
}

// checkSourceRepository checks that s's repository exists in s's tenant,
// and locks its row in key-share mode so that it cannot be deleted before
// the transaction ends.
func checkSourceRepository(ctx context.Context, tx pgx.Tx, s arca.Source) error {
	var tenant string
	err := tx.QueryRow(ctx, `SELECT tenant FROM repositories WHERE id = $1 FOR KEY SHARE`, s.RepositoryID).Scan(&tenant)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && tenant != s.Tenant) {
		return catalog.RepositoryNotFound(s.RepositoryID)
	}
	if err != nil {
		return fmt.Errorf("source %s repository %s: %w", s.ID, s.RepositoryID, err)
	}
	return nil
}

// GetSource returns a source or a NOT_FOUND error.
func (db *DB) GetSource(ctx context.Context, id string) (arca.Source, error) {
	s, err := scanSource(db.pool.QueryRow(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return arca.Source{}, catalog.SourceNotFound(id)
	}
	if err != nil {
		return arca.Source{}, fmt.Errorf("get source %s: %w", id, err)
	}
	return s, nil
}

// GetSources returns the sources with the given ids, in that order.
func (db *DB) GetSources(ctx context.Context, ids []string) ([]arca.Source, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("get sources: %w", err)
	}
	found, err := collectSources(rows)
	if err != nil {
		return nil, fmt.Errorf("get sources: %w", err)
	}
	return catalog.OrderSources(ids, found)
}

// ListSources returns the sources that match f, by id.
func (db *DB) ListSources(ctx context.Context, f catalog.SourceFilter) ([]arca.Source, error) {
	w := resourceWhere(f.ResourceFilter)
	if f.RepositoryID != "" {
		w.add("repository_id = ?", f.RepositoryID)
	}
	if f.Kind != "" {
		w.add("kind = ?", string(f.Kind))
	}
	rows, err := db.pool.Query(ctx, `SELECT `+sourceColumns+` FROM sources`+w.clause()+
		` ORDER BY id LIMIT `+w.arg(catalog.ListLimit(f.Limit)), w.vals...)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	out, err := collectSources(rows)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}

// UpdateSource replaces the mutable fields of a source.
func (db *DB) UpdateSource(ctx context.Context, s arca.Source) error {
	s, err := catalog.PrepareSource(s, time.Now())
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT tenant FROM sources WHERE id = $1 FOR UPDATE`, s.ID).Scan(&s.Tenant)
		if errors.Is(err, pgx.ErrNoRows) {
			return catalog.SourceNotFound(s.ID)
		}
		if err != nil {
			return fmt.Errorf("update source %s: %w", s.ID, err)
		}
		if err := checkSourceRepository(ctx, tx, s); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sources SET name = $1, repository_id = $2, settings = $3,
			secret = $4, updated_at = $5 WHERE id = $6`,
			s.Name, s.RepositoryID, catalog.RawJSON(s.Settings), s.Secret, ts(s.UpdatedAt), s.ID)
		return sourceWriteError(err, s, "update")
	})
}

// DeleteSource deletes a source; its cached snapshots stay.
func (db *DB) DeleteSource(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sources WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete source %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return catalog.SourceNotFound(id)
	}
	return nil
}

// scanSource reads one row of sourceColumns.
func scanSource(row pgx.Row) (arca.Source, error) {
	var s arca.Source
	var settings *string
	err := row.Scan(&s.ID, &s.Tenant, &s.Name, &s.Kind, &s.RepositoryID, &settings, &s.Secret,
		&s.CreatedAt, &s.UpdatedAt)
	if err != nil {
		return arca.Source{}, err
	}
	if settings != nil {
		s.Settings = json.RawMessage(*settings)
	}
	if len(s.Secret) == 0 {
		s.Secret = nil
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, nil
}

// collectSources reads every row of sourceColumns.
func collectSources(rows pgx.Rows) ([]arca.Source, error) {
	defer rows.Close()
	var out []arca.Source
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
