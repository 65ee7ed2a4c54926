package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// snapshotColumns are the columns scanSnapshot reads, in its order.
const snapshotColumns = `repository_id, id, tenant, source_id, source_kind, time, hostname, paths, tags,
	copy_only, tree, parent, digest, task_id, stats, labels`

// upsertSnapshot inserts a snapshot or replaces the one of the same
// repository and id.
const upsertSnapshot = `INSERT INTO snapshots (` + snapshotColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (repository_id, id) DO UPDATE SET tenant = excluded.tenant, source_id = excluded.source_id,
	source_kind = excluded.source_kind, time = excluded.time, hostname = excluded.hostname,
	paths = excluded.paths, tags = excluded.tags, copy_only = excluded.copy_only, tree = excluded.tree,
	parent = excluded.parent, digest = excluded.digest, task_id = excluded.task_id,
	stats = excluded.stats, labels = excluded.labels`

// PutSnapshot inserts or replaces a cached snapshot.
func (db *DB) PutSnapshot(ctx context.Context, s arca.Snapshot) error {
	s, err := catalog.PrepareSnapshot(s, s.RepositoryID)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		tenant, err := repositoryTenant(ctx, tx, s.RepositoryID)
		if err != nil {
			return err
		}
		args, err := snapshotArgs(tenant, s)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, upsertSnapshot, args...); err != nil {
			return fmt.Errorf("put snapshot %s: %w", s.ID, err)
		}
		return nil
	})
}

// repositoryTenant returns the tenant of a repository, or NOT_FOUND.
func repositoryTenant(ctx context.Context, q querier, id string) (string, error) {
	var tenant string
	err := q.QueryRowContext(ctx, `SELECT tenant FROM repositories WHERE id = ?`, id).Scan(&tenant)
	if errors.Is(err, sql.ErrNoRows) {
		return "", catalog.RepositoryNotFound(id)
	}
	if err != nil {
		return "", fmt.Errorf("repository %s: %w", id, err)
	}
	return tenant, nil
}

// snapshotArgs returns the arguments of upsertSnapshot for a prepared
// snapshot of a repository of tenant.
func snapshotArgs(tenant string, s arca.Snapshot) ([]any, error) {
	if s.Tenant != "" && s.Tenant != tenant {
		return nil, catalog.TenantMismatch(s.ID, s.Tenant, tenant)
	}
	s.Tenant = tenant
	return snapshotValues(s)
}

// snapshotValues returns the arguments of upsertSnapshot for s.
func snapshotValues(s arca.Snapshot) ([]any, error) {
	paths, err := catalog.JSONValue(s.Paths)
	if err != nil {
		return nil, err
	}
	tags := "[]"
	if len(s.Tags) > 0 {
		b, err := json.Marshal(s.Tags)
		if err != nil {
			return nil, fmt.Errorf("encode tags: %w", err)
		}
		tags = string(b)
	}
	var labels any
	if len(s.Labels) > 0 {
		b, err := json.Marshal(s.Labels)
		if err != nil {
			return nil, fmt.Errorf("encode labels: %w", err)
		}
		labels = string(b)
	}
	return []any{s.RepositoryID, s.ID, s.Tenant, s.SourceID, string(s.SourceKind), ts(s.Time), s.Hostname,
		paths, tags, s.CopyOnly, s.Tree, s.Parent, s.Digest, s.TaskID, catalog.RawJSON(s.Stats), labels}, nil
}

// GetSnapshot returns a cached snapshot by id or a NOT_FOUND error.
func (db *DB) GetSnapshot(ctx context.Context, id string) (arca.Snapshot, error) {
	s, err := scanSnapshot(db.read.QueryRowContext(ctx, `SELECT `+snapshotColumns+` FROM snapshots
		WHERE id = ? ORDER BY repository_id LIMIT 1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return arca.Snapshot{}, catalog.SnapshotNotFound(id)
	}
	if err != nil {
		return arca.Snapshot{}, fmt.Errorf("get snapshot %s: %w", id, err)
	}
	return s, nil
}

// ListSnapshots returns one page of the snapshots that match f, newest
// first, and the cursor of the next page.
func (db *DB) ListSnapshots(ctx context.Context, f catalog.SnapshotFilter) ([]arca.Snapshot, string, error) {
	q, params, err := snapshotQuery(f)
	if err != nil {
		return nil, "", err
	}
	limit := catalog.ListLimit(f.Limit)
	rows, err := db.read.QueryContext(ctx, q+` LIMIT ?`, append(params, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list snapshots: %w", err)
	}
	defer rows.Close()
	var out []arca.Snapshot
	for rows.Next() {
		s, err := scanSnapshot(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list snapshots: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list snapshots: %w", err)
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, catalog.EncodeSnapshotCursor(out[limit-1]), nil
}

// snapshotQuery returns the ordered SELECT of the snapshots that match f
// (without its LIMIT) and its arguments. With a tag, the query walks that
// tag's rows of snapshot_tags, newest first (CROSS JOIN keeps that table
// the outer loop), and takes the order, time and cursor from there. With
// an id prefix (and no tag), it reads the id range of snapshots_id.
func snapshotQuery(f catalog.SnapshotFilter) (string, []any, error) {
	from, order := `snapshots s`, `s.time DESC, s.id DESC, s.repository_id DESC`
	timeCol, pos := `s.time`, `(s.time, s.id, s.repository_id)`
	var conds []string
	var vals []any
	add := func(cond string, v ...any) {
		conds, vals = append(conds, cond), append(vals, v...)
	}
	if f.Tag != "" {
		from = `snapshot_tags t CROSS JOIN snapshots s ON s.repository_id = t.repository_id AND s.id = t.snapshot_id`
		order = `t.time DESC, t.snapshot_id DESC, t.repository_id DESC`
		timeCol, pos = `t.time`, `(t.time, t.snapshot_id, t.repository_id)`
		add("t.tag = ?", f.Tag)
	}
	if f.Tenant != "" {
		add("s.tenant = ?", f.Tenant)
	}
	if f.RepositoryID != "" {
		add("s.repository_id = ?", f.RepositoryID)
	}
	if f.SourceID != "" {
		add("s.source_id = ?", f.SourceID)
	}
	if f.IDPrefix != "" {
		lo, hi, err := catalog.SnapshotIDRange(f.IDPrefix)
		if err != nil {
			return "", nil, err
		}
		add("s.id >= ? AND s.id < ?", lo, hi)
		if f.Tag == "" {
			// The few snapshots of an id prefix, sorted, beat walking a
			// tenant's snapshots in time order; without statistics the
			// planner would pick the latter.
			from = `snapshots s INDEXED BY snapshots_id`
		}
	}
	if !f.Since.IsZero() {
		add(timeCol+" >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		add(timeCol+" < ?", ts(f.Until))
	}
	if f.After != "" {
		c, err := catalog.DecodeSnapshotCursor(f.After)
		if err != nil {
			return "", nil, err
		}
		add(pos+" < (?, ?, ?)", ts(c.Time), c.ID, c.RepositoryID)
	}
	q := `SELECT ` + snapshotColumnsOf("s") + ` FROM ` + from
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	return q + " ORDER BY " + order, vals, nil
}

// snapshotColumnsOf returns snapshotColumns qualified by table alias a.
func snapshotColumnsOf(a string) string {
	cols := strings.Split(snapshotColumns, ",")
	for i, c := range cols {
		cols[i] = a + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// DeleteSnapshot removes one cached snapshot, if there.
func (db *DB) DeleteSnapshot(ctx context.Context, repositoryID, id string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM snapshots WHERE repository_id = ? AND id = ?`, repositoryID, id)
		if err != nil {
			return fmt.Errorf("delete snapshot %s: %w", id, err)
		}
		return nil
	})
}

// ReplaceSnapshots makes the cache of a repository exactly snaps.
func (db *DB) ReplaceSnapshots(ctx context.Context, repositoryID string, snaps []arca.Snapshot) error {
	prepared := make([]arca.Snapshot, len(snaps))
	for i, s := range snaps {
		var err error
		if prepared[i], err = catalog.PrepareSnapshot(s, repositoryID); err != nil {
			return err
		}
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		tenant, err := repositoryTenant(ctx, tx, repositoryID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM snapshots WHERE repository_id = ?`, repositoryID); err != nil {
			return fmt.Errorf("replace snapshots of %s: %w", repositoryID, err)
		}
		stmt, err := tx.PrepareContext(ctx, upsertSnapshot)
		if err != nil {
			return fmt.Errorf("replace snapshots of %s: %w", repositoryID, err)
		}
		defer stmt.Close()
		for _, s := range prepared {
			args, err := snapshotArgs(tenant, s)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("put snapshot %s: %w", s.ID, err)
			}
		}
		return nil
	})
}

// scanSnapshot reads one row of snapshotColumns.
func scanSnapshot(row scanner) (arca.Snapshot, error) {
	var s arca.Snapshot
	var t, tags string
	var paths, stats, labels sql.NullString
	err := row.Scan(&s.RepositoryID, &s.ID, &s.Tenant, &s.SourceID, &s.SourceKind, &t, &s.Hostname, &paths,
		&tags, &s.CopyOnly, &s.Tree, &s.Parent, &s.Digest, &s.TaskID, &stats, &labels)
	if err != nil {
		return arca.Snapshot{}, err
	}
	if s.Time, err = parseTime(t); err != nil {
		return arca.Snapshot{}, err
	}
	if stats.Valid {
		s.Stats = json.RawMessage(stats.String)
	}
	if err := decodeSnapshotJSON(&s, paths, tags, labels); err != nil {
		return arca.Snapshot{}, err
	}
	return s, nil
}

// decodeSnapshotJSON decodes the JSON columns of a snapshot.
func decodeSnapshotJSON(s *arca.Snapshot, paths sql.NullString, tags string, labels sql.NullString) error {
	if paths.Valid {
		if err := json.Unmarshal([]byte(paths.String), &s.Paths); err != nil {
			return fmt.Errorf("snapshot %s paths: %w", s.ID, err)
		}
	}
	if tags != "[]" {
		if err := json.Unmarshal([]byte(tags), &s.Tags); err != nil {
			return fmt.Errorf("snapshot %s tags: %w", s.ID, err)
		}
	}
	if labels.Valid {
		if err := json.Unmarshal([]byte(labels.String), &s.Labels); err != nil {
			return fmt.Errorf("snapshot %s labels: %w", s.ID, err)
		}
	}
	return nil
}
