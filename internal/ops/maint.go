package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/checker"
	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/policy"
	"github.com/arcabackup/arca/internal/task"
)

// RepoParams name the repository of a repository task.
type RepoParams struct {
	RepositoryID string `json:"repository_id"`
}

// RepositoryInitParams are the parameters of a repository.init task.
type RepositoryInitParams struct {
	RepoParams
	// Attach only attaches an existing repository, never initialises one.
	Attach bool `json:"attach,omitempty"`
}

// RepositoryInitResult is the result of a repository.init task.
type RepositoryInitResult struct {
	RepoID      string `json:"repo_id"`
	Initialised bool   `json:"initialised"`
	Snapshots   int    `json:"snapshots"`
}

// VerifyParams are the parameters of a verify task.
type VerifyParams struct {
	RepoParams
	ReadDataPercent float64 `json:"read_data_percent,omitempty"`
}

// VerifyResult is the result of a verify task.
type VerifyResult struct {
	OK     bool            `json:"ok"`
	Report *checker.Report `json:"report"`
}

// PruneParams are the parameters of a prune task.
type PruneParams struct {
	RepoParams
	Policy   *policy.Policy `json:"policy,omitempty"`
	SourceID string         `json:"source_id,omitempty"`
	DryRun   bool           `json:"dry_run,omitempty"`
}

// PruneResult is the result of a prune task.
type PruneResult struct {
	Forget *pruner.ForgetReport `json:"forget,omitempty"`
	Prune  *pruner.Report       `json:"prune"`
}

// ForgetParams are the parameters of a snapshot.forget task.
type ForgetParams struct {
	RepoParams
	SnapshotID string `json:"snapshot_id"`
}

// PruneKey serialises prunes and forgets of one repository: a second waits
// blocked while backups go on beside it.
func PruneKey(repositoryID string) string { return "prune:" + repositoryID }

// RepositorySpec returns the task of a repository operation (init, verify,
// prune, forget, sync) with its parameters.
func RepositorySpec(reg arca.Repository, op arca.Operation, params any) (task.Spec, error) {
	b, err := json.Marshal(params)
	if err != nil {
		return task.Spec{}, fmt.Errorf("encode %s params: %w", op, err)
	}
	spec := task.Spec{Tenant: reg.Tenant, Operation: op, Target: arca.Target{Type: "repository", ID: reg.ID}, Params: b}
	switch op {
	case OpPrune, OpSnapshotForget:
		spec.ExclusiveKey, spec.WaitForKey = PruneKey(reg.ID), true
	case OpRepositoryInit:
		spec.ExclusiveKey = "repository:" + reg.ID
	}
	return spec, nil
}

func (s *Service) repoTask(ctx context.Context, t arca.Task, params any, rp *RepoParams) (arca.Repository, *repo.Repository, func(), error) {
	if err := decodeParams(t, params); err != nil {
		return arca.Repository{}, nil, nil, err
	}
	reg, err := s.cat.GetRepository(ctx, rp.RepositoryID)
	if err != nil {
		return reg, nil, nil, fmt.Errorf("repository %s: %w", rp.RepositoryID, err)
	}
	r, release, err := s.repos.Acquire(ctx, reg)
	return reg, r, release, err
}

func (s *Service) runRepositoryInit(ctx context.Context, t arca.Task, rep *task.Reporter) (task.Outcome, error) {
	var p RepositoryInitParams
	if err := decodeParams(t, &p); err != nil {
		return task.Outcome{}, err
	}
	reg, err := s.cat.GetRepository(ctx, p.RepositoryID)
	if err != nil {
		return task.Outcome{}, fmt.Errorf("repository %s: %w", p.RepositoryID, err)
	}
	rep.Phase("open")
	r, created, err := s.repos.openOrInit(ctx, reg, !p.Attach)
	if err != nil {
		// A registration that can never open (wrong password, nothing to
		// attach, bad settings) is useless: remove it, so that the caller
		// can register it again. A transient failure keeps it.
		if !definitive(err) {
			return task.Outcome{}, err
		}
		if derr := s.cat.DeleteRepository(context.WithoutCancel(ctx), reg.ID); derr != nil && !errors.Is(derr, arca.ErrNotFound) {
			s.log.WarnContext(ctx, "repository registration left behind", "repository", reg.ID, "err", derr)
		}
		return task.Outcome{}, err
	}
	defer r.Close()
	reg.RepoID = r.Config().ID.String()
	reg.UpdatedAt = s.opts.Now().UTC()
	if err := s.cat.UpdateRepository(ctx, reg); err != nil {
		return task.Outcome{}, fmt.Errorf("record repository id: %w", err)
	}
	rep.Phase("snapshots")
	n, err := s.syncSnapshots(ctx, reg, r)
	if err != nil {
		return task.Outcome{}, err
	}
	return task.Outcome{ResultType: "repository.init", Result: RepositoryInitResult{RepoID: reg.RepoID, Initialised: created, Snapshots: n}}, nil
}

func (s *Service) runVerify(ctx context.Context, t arca.Task, rep *task.Reporter) (task.Outcome, error) {
	var p VerifyParams
	_, r, release, err := s.repoTask(ctx, t, &p, &p.RepoParams)
	if err != nil {
		return task.Outcome{}, err
	}
	defer release()
	opts := checker.Options{ReadDataPercent: p.ReadDataPercent, Progress: func(pr checker.Progress) {
		rep.Update(arca.Progress{Phase: pr.Phase, ItemsDone: pr.Done, ItemsTotal: pr.Total, BytesDone: pr.Bytes})
	}}
	report, err := checker.Check(ctx, r, opts)
	if err != nil {
		return task.Outcome{}, fmt.Errorf("verify: %w", err)
	}
	out := task.Outcome{ResultType: "verify", Result: VerifyResult{OK: report.OK(), Report: report}}
	if !report.OK() {
		out.Partial = true
		out.Warnings = append(out.Warnings, fmt.Sprintf("damaged or missing data: %d missing packs, %d damaged packs, %d damaged blobs, %d missing blobs, %d snapshots affected",
			len(report.MissingPacks), len(report.DamagedPacks), len(report.DamagedBlobs), len(report.MissingBlobs), len(report.Affected)))
	}
	return out, nil
}

func (s *Service) runPrune(ctx context.Context, t arca.Task, rep *task.Reporter) (task.Outcome, error) {
	var p PruneParams
	reg, r, release, err := s.repoTask(ctx, t, &p, &p.RepoParams)
	if err != nil {
		return task.Outcome{}, err
	}
	defer release()
	var res PruneResult
	if p.Policy != nil {
		rep.Phase("forget")
		if res.Forget, err = s.forgetByPolicy(ctx, r, p); err != nil {
			return task.Outcome{}, err
		}
		if !p.DryRun {
			for _, id := range res.Forget.Removed {
				if err := s.cat.DeleteSnapshot(ctx, reg.ID, id.String()); err != nil {
					return task.Outcome{}, fmt.Errorf("uncache forgotten snapshot: %w", err)
				}
			}
		}
	}
	opts := pruner.Options{DryRun: p.DryRun, Delay: s.opts.PruneDelay, Now: s.opts.Now,
		OldestWriter: func(ctx context.Context) (time.Time, bool, error) { return s.oldestBackup(ctx, reg.ID) },
		Progress: func(pr pruner.Progress) {
			rep.Update(arca.Progress{Phase: pr.Phase, ItemsDone: pr.Done, ItemsTotal: pr.Total})
		}}
	if res.Prune, err = pruner.Prune(ctx, r, opts); err != nil {
		return task.Outcome{}, fmt.Errorf("prune: %w", err)
	}
	return task.Outcome{ResultType: "prune", Result: res}, nil
}

// forgetByPolicy applies the policy, to one source's snapshots if asked.
func (s *Service) forgetByPolicy(ctx context.Context, r *repo.Repository, p PruneParams) (*pruner.ForgetReport, error) {
	if err := p.Policy.Validate(); err != nil {
		return nil, invalid("policy", "The retention policy is not valid: %v.", err)
	}
	plan, err := pruner.Forget(ctx, r, pruner.ForgetOptions{Policy: p.Policy, DryRun: true})
	if err != nil || p.SourceID == "" && p.DryRun {
		return plan, err
	}
	var ids []repo.ID
	for _, g := range plan.Groups {
		if p.SourceID != "" && g.Key != "source "+p.SourceID {
			continue
		}
		for _, it := range g.Remove {
			ids = append(ids, it.ID)
		}
	}
	if p.DryRun {
		plan.Removed = ids
		return plan, nil
	}
	rep, err := pruner.Forget(ctx, r, pruner.ForgetOptions{IDs: ids})
	if err != nil {
		return nil, err
	}
	rep.Groups = plan.Groups
	return rep, nil
}

// oldestBackup returns the start of the oldest running backup into the
// repository, for prune's sweep.
func (s *Service) oldestBackup(ctx context.Context, repositoryID string) (time.Time, bool, error) {
	tasks, err := s.cat.ListTasks(ctx, catalog.TaskFilter{Operation: OpBackup, States: []arca.TaskState{arca.TaskRunning, arca.TaskCanceling}, Limit: 1000})
	if err != nil {
		return time.Time{}, false, err
	}
	var oldest time.Time
	for _, t := range tasks {
		src, err := s.cat.GetSource(ctx, t.Target.ID)
		if err != nil || src.RepositoryID != repositoryID || t.StartedAt == nil {
			if err != nil && !errors.Is(err, arca.ErrNotFound) {
				return time.Time{}, false, err
			}
			continue
		}
		if oldest.IsZero() || t.StartedAt.Before(oldest) {
			oldest = *t.StartedAt
		}
	}
	return oldest, !oldest.IsZero(), nil
}

func (s *Service) runForget(ctx context.Context, t arca.Task, rep *task.Reporter) (task.Outcome, error) {
	var p ForgetParams
	reg, r, release, err := s.repoTask(ctx, t, &p, &p.RepoParams)
	if err != nil {
		return task.Outcome{}, err
	}
	defer release()
	id, err := repo.ParseID(p.SnapshotID)
	if err != nil {
		return task.Outcome{}, invalid("snapshot_id", "%q is not a snapshot id.", p.SnapshotID)
	}
	res, err := pruner.Forget(ctx, r, pruner.ForgetOptions{IDs: []repo.ID{id}})
	if err != nil && !errors.Is(err, repo.ErrSnapshotNotFound) {
		return task.Outcome{}, err
	}
	if err := s.cat.DeleteSnapshot(ctx, reg.ID, p.SnapshotID); err != nil {
		return task.Outcome{}, err
	}
	return task.Outcome{ResultType: "snapshot.forget", Result: res}, nil
}

// SyncResult is the result of a snapshot.sync task.
type SyncResult struct {
	Snapshots int `json:"snapshots"`
}

func (s *Service) runSync(ctx context.Context, t arca.Task, rep *task.Reporter) (task.Outcome, error) {
	var p RepoParams
	reg, r, release, err := s.repoTask(ctx, t, &p, &p)
	if err != nil {
		return task.Outcome{}, err
	}
	defer release()
	rep.Phase("snapshots")
	n, err := s.syncSnapshots(ctx, reg, r)
	if err != nil {
		return task.Outcome{}, err
	}
	return task.Outcome{ResultType: "snapshot.sync", Result: SyncResult{Snapshots: n}}, nil
}

// syncSnapshots rebuilds the catalog's cache of a repository's snapshots
// from the repository itself.
func (s *Service) syncSnapshots(ctx context.Context, reg arca.Repository, r *repo.Repository) (int, error) {
	var snaps []arca.Snapshot
	err := r.ListSnapshots(ctx, func(id repo.ID, sn *repo.Snapshot) error {
		snaps = append(snaps, catalogSnapshot(reg, id, sn, ""))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list snapshots: %w", err)
	}
	if err := s.cat.ReplaceSnapshots(ctx, reg.ID, snaps); err != nil {
		return 0, fmt.Errorf("cache snapshots: %w", err)
	}
	return len(snaps), nil
}

func definitive(err error) bool {
	switch arca.ErrorCode(err) {
	case arca.CodeUnauthenticated, arca.CodeNotFound, arca.CodeInvalidArgument, arca.CodeAlreadyExists:
		return true
	}
	return false
}
