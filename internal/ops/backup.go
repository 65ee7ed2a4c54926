package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/task"
)

// MaxBatch is the most sources one batch backup may name.
const MaxBatch = 100

// BackupParams are the parameters of a backup task.
type BackupParams struct {
	SourceID string       `json:"source_id"`
	Tags     []string     `json:"tags,omitempty"`
	CopyOnly bool         `json:"copy_only,omitempty"`
	Level    source.Level `json:"level,omitempty"`
}

// BackupResult is the result of a backup task.
type BackupResult struct {
	SnapshotID    string             `json:"snapshot_id"`
	RepositoryID  string             `json:"repository_id"`
	SourceID      string             `json:"source_id"`
	ContentDigest string             `json:"content_digest,omitempty"`
	Stats         repo.SnapshotStats `json:"stats"`
	Labels        map[string]string  `json:"labels,omitempty"`
}

// SourceKey is the exclusivity key of a source: one backup or restore of
// it at a time.
func SourceKey(sourceID string) string { return "source:" + sourceID }

// BackupSpec returns the task that backs up src.
func BackupSpec(src arca.Source, p BackupParams) (task.Spec, error) {
	switch p.Level {
	case "", source.LevelIncremental, source.LevelFull:
	default:
		return task.Spec{}, &arca.Error{Code: arca.CodeInvalidArgument, Message: fmt.Sprintf("Unknown backup level %q: use full or incremental.", p.Level),
			Fields: []arca.FieldError{{Field: "level", Message: "must be full or incremental"}}}
	}
	p.SourceID = src.ID
	params, err := json.Marshal(p)
	if err != nil {
		return task.Spec{}, fmt.Errorf("encode backup params: %w", err)
	}
	return task.Spec{Tenant: src.Tenant, Operation: OpBackup, Target: arca.Target{Type: "source", ID: src.ID},
		Params: params, ExclusiveKey: SourceKey(src.ID)}, nil
}

// CheckBatch validates the source ids of a batch all at once, naming every
// bad item: empty, over the limit, duplicate.
func CheckBatch(ids []string) error {
	var fields []arca.FieldError
	if len(ids) == 0 {
		fields = append(fields, arca.FieldError{Field: "source_ids", Message: "give at least one source id"})
	}
	if len(ids) > MaxBatch {
		fields = append(fields, arca.FieldError{Field: "source_ids", Message: fmt.Sprintf("%d source ids given; a batch takes at most %d", len(ids), MaxBatch)})
	}
	seen := map[string]int{}
	for i, id := range ids {
		if first, dup := seen[id]; dup {
			fields = append(fields, arca.FieldError{Field: fmt.Sprintf("source_ids[%d]", i), Message: fmt.Sprintf("duplicate of source_ids[%d] (%s)", first, id)})
			continue
		}
		seen[id] = i
	}
	if len(fields) == 0 {
		return nil
	}
	msg := "The batch is not valid: " + fields[0].Field + " " + fields[0].Message + "."
	if len(ids) > MaxBatch {
		msg = fmt.Sprintf("A batch backs up at most %d sources; %d were given. Split it into several batches.", MaxBatch, len(ids))
	}
	return &arca.Error{Code: arca.CodeInvalidArgument, Message: msg, Fields: fields}
}

func (s *Service) runBackup(ctx context.Context, t arca.Task, rep *task.Reporter) (task.Outcome, error) {
	var p BackupParams
	if err := decodeParams(t, &p); err != nil {
		return task.Outcome{}, err
	}
	src, err := s.cat.GetSource(ctx, p.SourceID)
	if err != nil {
		return task.Outcome{}, fmt.Errorf("source %s: %w", p.SourceID, err)
	}
	drv, err := s.sources.Driver(src.Kind)
	if err != nil {
		return task.Outcome{}, err
	}
	reg, err := s.cat.GetRepository(ctx, src.RepositoryID)
	if err != nil {
		return task.Outcome{}, fmt.Errorf("repository of source %s: %w", src.Name, err)
	}
	rep.Phase("open")
	r, release, err := s.repos.Acquire(ctx, reg)
	if err != nil {
		return task.Outcome{}, err
	}
	defer release()
	cfg, err := s.SourceConfig(src)
	if err != nil {
		return task.Outcome{}, err
	}
	sk := s.newSink(r, rep, t.ID, src, p)
	if p.Level != source.LevelFull {
		sk.parent, sk.estimate = s.parentOf(ctx, r, src)
	}
	rep.Phase("backup")
	meta, err := drv.Backup(ctx, cfg, source.BackupOptions{Level: p.Level}, sk)
	var res *archiver.Result
	if err == nil {
		res, err = sk.commit(ctx, meta)
	}
	sk.stop()
	if err != nil {
		// What the failed backup left in the shared repository (blobs in
		// the packer, packs in no index) must not be flushed by the next
		// task: drop the open repository once its other users are done.
		// Its uploaded packs are garbage for prune.
		s.repos.Forget(reg.ID)
		return task.Outcome{}, err
	}
	if _, err := pruner.Reconcile(ctx, r, res.ID); err != nil {
		return task.Outcome{}, fmt.Errorf("reconcile snapshot with a running prune: %w", err)
	}
	snap := catalogSnapshot(reg, res.ID, res.Snapshot, t.ID)
	if err := s.cat.PutSnapshot(ctx, snap); err != nil {
		// The snapshot is durable in the repository; the cache is rebuilt by a sync.
		s.log.WarnContext(ctx, "snapshot saved but not cached", "task", t.ID, "snapshot", res.ID.String(), "err", err)
	}
	out := task.Outcome{ResultType: "backup", Result: BackupResult{SnapshotID: res.ID.String(), RepositoryID: reg.ID,
		SourceID: src.ID, ContentDigest: res.Snapshot.ContentDigest, Stats: res.Snapshot.Stats, Labels: res.Snapshot.Labels}}
	for _, w := range res.Warnings {
		out.Warnings = append(out.Warnings, w.String())
	}
	if n := res.Snapshot.Stats.Warnings; n > uint64(len(out.Warnings)) {
		out.Warnings = append(out.Warnings, fmt.Sprintf("... and %d more", n-uint64(len(out.Warnings))))
	}
	return out, nil
}

// parentOf returns the newest snapshot of src that is not copy-only and
// still in the repository, with its statistics, or nil.
func (s *Service) parentOf(ctx context.Context, r *repo.Repository, src arca.Source) (*repo.ID, *repo.SnapshotStats) {
	snaps, _, err := s.cat.ListSnapshots(ctx, catalog.SnapshotFilter{RepositoryID: src.RepositoryID, SourceID: src.ID, Limit: 20})
	if err != nil {
		s.log.WarnContext(ctx, "no parent snapshot: list failed", "source", src.ID, "err", err)
		return nil, nil
	}
	for _, sn := range snaps {
		if sn.CopyOnly {
			continue
		}
		id, err := repo.ParseID(sn.ID)
		if err != nil {
			continue
		}
		loaded, err := r.LoadSnapshot(ctx, id)
		if errors.Is(err, repo.ErrSnapshotNotFound) {
			continue
		} else if err != nil {
			return nil, nil
		}
		return &id, &loaded.Stats
	}
	return nil, nil
}

// catalogSnapshot describes a repository snapshot for the catalog's cache.
func catalogSnapshot(reg arca.Repository, id repo.ID, sn *repo.Snapshot, taskID string) arca.Snapshot {
	stats, _ := json.Marshal(sn.Stats)
	out := arca.Snapshot{ID: id.String(), Tenant: reg.Tenant, RepositoryID: reg.ID, SourceKind: arca.SourceKind(sn.SourceKind),
		Time: sn.Time, Hostname: sn.Hostname, Paths: sn.Paths, Tags: sn.Tags, CopyOnly: sn.CopyOnly,
		Tree: sn.Tree.String(), Digest: sn.ContentDigest, TaskID: taskID, Stats: stats, Labels: sn.Labels}
	if arca.ValidID(sn.Source) {
		out.SourceID = sn.Source
	}
	if sn.Parent != nil {
		out.Parent = sn.Parent.String()
	}
	if out.TaskID == "" {
		out.TaskID = sn.Labels["task_id"]
	}
	return out
}
