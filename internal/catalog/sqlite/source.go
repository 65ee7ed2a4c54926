package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkSourceRepository(ctx, tx, s); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sources (`+sourceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, s.Tenant, s.Name, string(s.Kind), s.RepositoryID, catalog.RawJSON(s.Settings), s.Secret,
			ts(s.CreatedAt), ts(s.UpdatedAt))
		if isUnique(err) {
			return sourceClash(ctx, tx, s)
		}
		if err != nil {
			return fmt.Errorf("create source %s: %w", s.ID, err)
		}
		return nil
	})
}

// checkSourceRepository checks that s's repository exists in s's tenant.
func checkSourceRepository(ctx context.Context, tx *sql.Tx, s arca.Source) error {
	var tenant string
	err := tx.QueryRowContext(ctx, `SELECT tenant FROM repositories WHERE id = ?`, s.RepositoryID).Scan(&tenant)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && tenant != s.Tenant) {
		return catalog.RepositoryNotFound(s.RepositoryID)
	}
	if err != nil {
		return fmt.Errorf("source %s repository %s: %w", s.ID, s.RepositoryID, err)
	}
	return nil
}

// sourceClash tells a taken id from a taken name.
func sourceClash(ctx context.Context, tx *sql.Tx, s arca.Source) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM sources WHERE id = ?`, s.ID).Scan(&one)
	switch {
	case err == nil:
		return catalog.IDTaken("source", s.ID)
	case errors.Is(err, sql.ErrNoRows):
		return catalog.NameTaken("source", s.Name)
	}
	return fmt.Errorf("create source %s: %w", s.ID, err)
}

// GetSource returns a source or a NOT_FOUND error.
func (db *DB) GetSource(ctx context.Context, id string) (arca.Source, error) {
	s, err := scanSource(db.read.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
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
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("get sources: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+sourceColumns+` FROM sources
		WHERE id IN (SELECT value FROM json_each(?))`, string(list))
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
	var conds []string
	var vals []any
	if f.RepositoryID != "" {
		conds, vals = append(conds, "repository_id = ?"), append(vals, f.RepositoryID)
	}
	if f.Kind != "" {
		conds, vals = append(conds, "kind = ?"), append(vals, string(f.Kind))
	}
	where, params := resourceWhere(f.ResourceFilter, conds, vals)
	rows, err := db.read.QueryContext(ctx, `SELECT `+sourceColumns+` FROM sources`+where+
		` ORDER BY id LIMIT ?`, append(params, catalog.ListLimit(f.Limit))...)
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
	return db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT tenant FROM sources WHERE id = ?`, s.ID).Scan(&s.Tenant)
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.SourceNotFound(s.ID)
		}
		if err != nil {
			return fmt.Errorf("update source %s: %w", s.ID, err)
		}
		if err := checkSourceRepository(ctx, tx, s); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sources SET name = ?, repository_id = ?, settings = ?,
			secret = ?, updated_at = ? WHERE id = ?`,
			s.Name, s.RepositoryID, catalog.RawJSON(s.Settings), s.Secret, ts(s.UpdatedAt), s.ID)
		if isUnique(err) {
			return catalog.NameTaken("source", s.Name)
		}
		if err != nil {
			return fmt.Errorf("update source %s: %w", s.ID, err)
		}
		return nil
	})
}

// DeleteSource deletes a source; its cached snapshots stay.
func (db *DB) DeleteSource(ctx context.Context, id string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sources WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete source %s: %w", id, err)
		}
		return wantOneRow(res, catalog.SourceNotFound(id))
	})
}

// scanSource reads one row of sourceColumns.
func scanSource(row scanner) (arca.Source, error) {
	var s arca.Source
	var settings sql.NullString
	var created, updated string
	err := row.Scan(&s.ID, &s.Tenant, &s.Name, &s.Kind, &s.RepositoryID, &settings, &s.Secret, &created, &updated)
	if err != nil {
		return arca.Source{}, err
	}
	if settings.Valid {
		s.Settings = json.RawMessage(settings.String)
	}
	if len(s.Secret) == 0 {
		s.Secret = nil
	}
	if s.CreatedAt, err = parseTime(created); err != nil {
		return arca.Source{}, err
	}
	s.UpdatedAt, err = parseTime(updated)
	return s, err
}

// collectSources reads every row of sourceColumns.
func collectSources(rows *sql.Rows) ([]arca.Source, error) {
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
