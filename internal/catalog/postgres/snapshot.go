package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// snapshotColumns are the columns scanSnapshot reads, in its order.
const snapshotColumns = `repository_id, id, tenant, source_id, source_kind, time, hostname, paths, tags,
	copy_only, tree, parent, digest, task_id, stats, labels`

// upsertSnapshot inserts a snapshot or replaces the one of the same
// repository and id.
const upsertSnapshot = `INSERT INTO snapshots (` + snapshotColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
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
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tenant, err := repositoryTenant(ctx, tx, s.RepositoryID, "FOR KEY SHARE")
		if err != nil {
			return err
		}
		args, err := snapshotArgs(tenant, s)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, upsertSnapshot, args...)
		return snapshotWriteError(err, s)
	})
}

// repositoryTenant returns the tenant of a repository, or NOT_FOUND, and
// locks its row with lock until the transaction ends: "FOR KEY SHARE" so
// that the repository cannot be deleted under the snapshots being cached,
// "FOR NO KEY UPDATE" to also serialise the rebuilds of its cache (two
// replaces running at once would leave the union of their snapshots).
func repositoryTenant(ctx context.Context, tx pgx.Tx, id, lock string) (string, error) {
	var tenant string
	err := tx.QueryRow(ctx, `SELECT tenant FROM repositories WHERE id = $1 `+lock, id).Scan(&tenant)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", catalog.RepositoryNotFound(id)
	}
	if err != nil {
		return "", fmt.Errorf("repository %s: %w", id, err)
	}
	return tenant, nil
}

// snapshotWriteError maps the error of upserting s.
func snapshotWriteError(err error, s arca.Snapshot) error {
	switch {
	case err == nil:
		return nil
	case isForeignKey(err, "snapshots_repository_id_fkey"):
		return catalog.RepositoryNotFound(s.RepositoryID)
	}
	return fmt.Errorf("put snapshot %s: %w", s.ID, err)
}

// snapshotArgs returns the arguments of upsertSnapshot for a prepared
// snapshot of a repository of tenant.
func snapshotArgs(tenant string, s arca.Snapshot) ([]any, error) {
	if s.Tenant != "" && s.Tenant != tenant {
		return nil, catalog.TenantMismatch(s.ID, s.Tenant, tenant)
	}
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
	return []any{s.RepositoryID, s.ID, tenant, s.SourceID, string(s.SourceKind), ts(s.Time), s.Hostname,
		paths, tags, s.CopyOnly, s.Tree, s.Parent, s.Digest, s.TaskID, catalog.RawJSON(s.Stats), labels}, nil
}

// GetSnapshot returns a cached snapshot by id or a NOT_FOUND error.
func (db *DB) GetSnapshot(ctx context.Context, id string) (arca.Snapshot, error) {
	s, err := scanSnapshot(db.pool.QueryRow(ctx, `SELECT `+snapshotColumns+` FROM snapshots
		WHERE id = $1 ORDER BY repository_id LIMIT 1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	w, err := snapshotWhere(f)
	if err != nil {
		return nil, "", err
	}
	limit := catalog.ListLimit(f.Limit)
	rows, err := db.pool.Query(ctx, `SELECT `+snapshotColumns+` FROM snapshots`+w.clause()+
		` ORDER BY time DESC, id DESC, repository_id DESC LIMIT `+w.arg(limit+1), w.vals...)
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

// snapshotWhere returns the conditions of f.
func snapshotWhere(f catalog.SnapshotFilter) (*where, error) {
	w := &where{}
	if f.Tenant != "" {
		w.add("tenant = ?", f.Tenant)
	}
	if f.RepositoryID != "" {
		w.add("repository_id = ?", f.RepositoryID)
	}
	if f.SourceID != "" {
		w.add("source_id = ?", f.SourceID)
	}
	if f.IDPrefix != "" {
		lo, hi, err := catalog.SnapshotIDRange(f.IDPrefix)
		if err != nil {
			return nil, err
		}
		w.add("id >= ? AND id < ?", lo, hi)
	}
	if f.Tag != "" {
		tag, err := json.Marshal([]string{f.Tag})
		if err != nil {
			return nil, fmt.Errorf("encode tag: %w", err)
		}
		w.add("tags @> ?::jsonb", string(tag))
	}
	if !f.Since.IsZero() {
		w.add("time >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("time < ?", ts(f.Until))
	}
	if f.After != "" {
		c, err := catalog.DecodeSnapshotCursor(f.After)
		if err != nil {
			return nil, err
		}
		w.add("(time, id, repository_id) < (?, ?, ?)", c.Time, c.ID, c.RepositoryID)
	}
	return w, nil
}

// DeleteSnapshot removes one cached snapshot, if there.
func (db *DB) DeleteSnapshot(ctx context.Context, repositoryID, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM snapshots WHERE repository_id = $1 AND id = $2`, repositoryID, id)
	if err != nil {
		return fmt.Errorf("delete snapshot %s: %w", id, err)
	}
	return nil
}

// ReplaceSnapshots makes the cache of a repository exactly snaps, in one
// transaction: the upserts go to the server as one batch.
func (db *DB) ReplaceSnapshots(ctx context.Context, repositoryID string, snaps []arca.Snapshot) error {
	prepared := make([]arca.Snapshot, len(snaps))
	for i, s := range snaps {
		var err error
		if prepared[i], err = catalog.PrepareSnapshot(s, repositoryID); err != nil {
			return err
		}
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tenant, err := repositoryTenant(ctx, tx, repositoryID, "FOR NO KEY UPDATE")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM snapshots WHERE repository_id = $1`, repositoryID); err != nil {
			return fmt.Errorf("replace snapshots of %s: %w", repositoryID, err)
		}
		var b pgx.Batch
		for _, s := range prepared {
			args, err := snapshotArgs(tenant, s)
			if err != nil {
				return err
			}
			b.Queue(upsertSnapshot, args...)
		}
		return sendSnapshots(ctx, tx, &b, prepared)
	})
	if err == nil && len(snaps) >= analyzeAfter {
		// A large rebuild changes the table wholesale: until autovacuum
		// analyzes it (a minute or more later) the planner would pick
		// plans for the old statistics, such as sorting every snapshot of
		// a source instead of walking its index. The cache is rebuilt;
		// a failed analyze only leaves that wait, so it is not an error.
		_, _ = db.pool.Exec(ctx, `ANALYZE snapshots`)
	}
	return err
}

// analyzeAfter is the size of a rebuild after which the snapshot table is
// analyzed at once.
const analyzeAfter = 1000

// sendSnapshots runs the batch of upserts of snaps.
func sendSnapshots(ctx context.Context, tx pgx.Tx, b *pgx.Batch, snaps []arca.Snapshot) error {
	if b.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, b)
	for _, s := range snaps {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return snapshotWriteError(err, s)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("replace snapshots: %w", err)
	}
	return nil
}

// scanSnapshot reads one row of snapshotColumns.
func scanSnapshot(row pgx.Row) (arca.Snapshot, error) {
	var s arca.Snapshot
	var tags string
	var paths, stats, labels *string
	err := row.Scan(&s.RepositoryID, &s.ID, &s.Tenant, &s.SourceID, &s.SourceKind, &s.Time, &s.Hostname, &paths,
		&tags, &s.CopyOnly, &s.Tree, &s.Parent, &s.Digest, &s.TaskID, &stats, &labels)
	if err != nil {
		return arca.Snapshot{}, err
	}
	s.Time = s.Time.UTC()
	if stats != nil {
		s.Stats = json.RawMessage(*stats)
	}
	if paths != nil {
		if err := json.Unmarshal([]byte(*paths), &s.Paths); err != nil {
			return arca.Snapshot{}, fmt.Errorf("snapshot %s paths: %w", s.ID, err)
		}
	}
	if tags != "[]" {
		if err := json.Unmarshal([]byte(tags), &s.Tags); err != nil {
			return arca.Snapshot{}, fmt.Errorf("snapshot %s tags: %w", s.ID, err)
		}
	}
	if labels != nil {
		if err := json.Unmarshal([]byte(*labels), &s.Labels); err != nil {
			return arca.Snapshot{}, fmt.Errorf("snapshot %s labels: %w", s.ID, err)
		}
	}
	return s, nil
}
