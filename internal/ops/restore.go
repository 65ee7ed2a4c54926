package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
	"github.com/arcabackup/arca/internal/restorer"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/task"
)

// RestoreTarget is where a restore writes: a directory (files), or the
// kind's own target (a database, a command) in Options.
type RestoreTarget struct {
	Path    string          `json:"path,omitempty"`
	Options json.RawMessage `json:"options,omitempty"`
}

// RestoreParams are the parameters of a restore task.
type RestoreParams struct {
	SnapshotID   string        `json:"snapshot_id"`
	RepositoryID string        `json:"repository_id"`
	SourceID     string        `json:"source_id,omitempty"`
	Paths        []string      `json:"paths,omitempty"`
	Target       RestoreTarget `json:"target"`
	Overwrite    string        `json:"overwrite,omitempty"`
}

// RestoreResult is the result of a restore task.
type RestoreResult struct {
	SnapshotID string                `json:"snapshot_id"`
	Target     string                `json:"target,omitempty"`
	Files      *restorer.Result      `json:"files,omitempty"`
	Source     *source.RestoreResult `json:"source,omitempty"`
}

// RestoreSpec checks a restore of snap and returns its task.
func (s *Service) RestoreSpec(snap arca.Snapshot, p RestoreParams) (task.Spec, error) {
	p.SnapshotID, p.RepositoryID, p.SourceID = snap.ID, snap.RepositoryID, snap.SourceID
	if _, err := restorer.ParseOverwrite(p.Overwrite); err != nil {
		return task.Spec{}, invalid("overwrite", "The overwrite policy %q is unknown: use never, if-changed or always.", p.Overwrite)
	}
	if err := s.checkRestoreKind(snap.SourceKind, p.Target); err != nil {
		return task.Spec{}, err
	}
	if isFiles(snap.SourceKind) || p.Target.Path != "" {
		target, err := s.CheckTarget(p.Target.Path)
		if err != nil {
			return task.Spec{}, err
		}
		p.Target.Path = target
	}
	for i, sp := range p.Paths {
		if sp == "" || strings.Contains(sp, "\x00") {
			return task.Spec{}, invalid(fmt.Sprintf("paths[%d]", i), "Path %d is empty or holds a NUL byte.", i)
		}
		p.Paths[i] = path.Clean("/" + sp)
	}
	params, err := json.Marshal(p)
	if err != nil {
		return task.Spec{}, fmt.Errorf("encode restore params: %w", err)
	}
	spec := task.Spec{Tenant: snap.Tenant, Operation: OpRestore, Target: arca.Target{Type: "snapshot", ID: snap.ID}, Params: params}
	if snap.SourceID != "" {
		spec.ExclusiveKey = SourceKey(snap.SourceID)
	}
	return spec, nil
}

func isFiles(k arca.SourceKind) bool { return k == "" || k == arca.SourceFS }

func invalid(field, format string, args ...any) error {
	e := arca.Errorf(arca.CodeInvalidArgument, format, args...)
	e.Fields = []arca.FieldError{{Field: field, Message: e.Message}}
	return e
}

// CheckTarget returns the cleaned absolute target directory when it lies
// within one of the allowed restore roots (symbolic links resolved), or an
// INVALID_ARGUMENT error saying where restores may go.
func (s *Service) CheckTarget(target string) (string, error) {
	if target == "" || !filepath.IsAbs(target) {
		return "", invalid("target.path", "Give the restore target as an absolute directory path (got %q).", target)
	}
	clean := filepath.Clean(target)
	real, err := resolveExisting(clean)
	if err != nil {
		return "", invalid("target.path", "The restore target %q cannot be resolved: %v.", target, err)
	}
	if within(real, s.opts.RestoreRoots) {
		return clean, nil
	}
	if len(s.opts.RestoreRoots) == 0 {
		return "", invalid("target.path", "This server allows no restore targets: start it with --restore-root DIR (or ARCA_RESTORE_ROOTS) to allow restores under DIR.")
	}
	return "", invalid("target.path", "The restore target %q is outside the directories this server restores into (%s): choose a path under one of them, or add a --restore-root.", target, strings.Join(s.opts.RestoreRoots, ", "))
}

// within reports whether the resolved path real lies within one of roots
// (each resolved too).
func within(p string, roots []string) bool {
	real, err := resolveExisting(filepath.Clean(p))
	if err != nil {
		return false
	}
	for _, root := range roots {
		rr, err := resolveExisting(filepath.Clean(root))
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(rr, real); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

// checkRestoreKind refuses restores of command snapshots unless commands
// are allowed, and holds the server files a kind's restore writes to the
// restore roots.
func (s *Service) checkRestoreKind(kind arca.SourceKind, target RestoreTarget) error {
	if isFiles(kind) {
		return nil
	}
	if kind == arca.SourceCommand && !s.opts.AllowCommands {
		return invalid("snapshot_id", "This server does not run commands: an administrator can allow them with --allow-command-sources.")
	}
	drv, err := s.sources.Driver(kind)
	if err != nil {
		return err
	}
	lp, ok := drv.(source.LocalPaths)
	if !ok {
		return nil
	}
	paths, err := lp.WritePaths(target.Options)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if _, err := s.CheckTarget(p); err != nil {
			return err
		}
	}
	return nil
}

// resolveExisting resolves symbolic links in the longest existing prefix
// of p and appends the rest.
func resolveExisting(p string) (string, error) {
	rest := ""
	for cur := p; ; cur = filepath.Dir(cur) {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) || cur == filepath.Dir(cur) {
			return "", err
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}

func (s *Service) runRestore(ctx context.Context, t arca.Task, rep *task.Reporter) (task.Outcome, error) {
	var p RestoreParams
	if err := decodeParams(t, &p); err != nil {
		return task.Outcome{}, err
	}
	reg, err := s.cat.GetRepository(ctx, p.RepositoryID)
	if err != nil {
		return task.Outcome{}, fmt.Errorf("repository %s: %w", p.RepositoryID, err)
	}
	rep.Phase("open")
	r, release, err := s.repos.Acquire(ctx, reg)
	if err != nil {
		return task.Outcome{}, err
	}
	defer release()
	id, err := repo.ParseID(p.SnapshotID)
	if err != nil {
		return task.Outcome{}, fmt.Errorf("snapshot id: %w", err)
	}
	sn, err := r.LoadSnapshot(ctx, id)
	if err != nil {
		return task.Outcome{}, fmt.Errorf("load snapshot %s: %w", id.Short(), err)
	}
	if isFiles(arca.SourceKind(sn.SourceKind)) {
		return s.restoreFiles(ctx, r, rep, sn, p)
	}
	return s.restoreSource(ctx, r, rep, sn, p)
}

func (s *Service) restoreFiles(ctx context.Context, r *repo.Repository, rep *task.Reporter, sn *repo.Snapshot, p RestoreParams) (task.Outcome, error) {
	target, err := s.CheckTarget(p.Target.Path) // again: roots may have changed since the task was queued
	if err != nil {
		return task.Outcome{}, err
	}
	ow, _ := restorer.ParseOverwrite(p.Overwrite)
	rs := restorer.New(r)
	jobs, err := rs.Select(ctx, sn.Tree, target, p.Paths)
	if errors.Is(err, restorer.ErrNoSuchPath) {
		return task.Outcome{}, invalid("paths", "%v.", err)
	}
	if err != nil {
		return task.Outcome{}, err
	}
	opts := restorer.Options{Overwrite: ow, ProgressInterval: s.opts.ProgressInterval, Progress: func(pr restorer.Progress) {
		rep.Update(arca.Progress{Phase: pr.Phase, BytesDone: int64(pr.BytesDone), BytesTotal: int64(pr.BytesTotal),
			ItemsDone: int64(pr.FilesDone), ItemsTotal: int64(pr.FilesTotal)})
	}}
	total := &restorer.Result{}
	for _, j := range jobs {
		opts.Path = j.Path
		if err := os.MkdirAll(j.Target, 0o700); err != nil {
			return task.Outcome{}, fmt.Errorf("create restore target: %w", err)
		}
		res, err := rs.Restore(ctx, sn.Tree, j.Target, opts)
		total.Add(res)
		if err != nil {
			return task.Outcome{}, err
		}
	}
	out := task.Outcome{ResultType: "restore", Result: RestoreResult{SnapshotID: p.SnapshotID, Target: target, Files: total}}
	for _, f := range total.Failures {
		out.Warnings = append(out.Warnings, f.String())
	}
	out.Partial = total.FailureCount > 0
	return out, nil
}

func (s *Service) restoreSource(ctx context.Context, r *repo.Repository, rep *task.Reporter, sn *repo.Snapshot, p RestoreParams) (task.Outcome, error) {
	if err := s.checkRestoreKind(arca.SourceKind(sn.SourceKind), p.Target); err != nil {
		return task.Outcome{}, err // again: the settings may have changed since the task was queued
	}
	drv, err := s.sources.Driver(arca.SourceKind(sn.SourceKind))
	if err != nil {
		return task.Outcome{}, err
	}
	if p.SourceID == "" {
		return task.Outcome{}, arca.Errorf(arca.CodeNotAllowedInState, "The snapshot names no source of this server, so there are no connection settings to restore its %s content with.", sn.SourceKind)
	}
	src, err := s.cat.GetSource(ctx, p.SourceID)
	if err != nil {
		return task.Outcome{}, fmt.Errorf("source %s of the snapshot: %w", p.SourceID, err)
	}
	cfg, err := s.SourceConfig(src)
	if err != nil {
		return task.Outcome{}, err
	}
	rep.Phase("restore")
	rd := &snapshotReader{rs: restorer.New(r), sn: sn}
	stop := ticker(ctx, s.opts.ProgressInterval, func() {
		rep.Update(arca.Progress{Phase: "restore", BytesDone: rd.done.Load(), BytesTotal: int64(sn.Stats.TotalBytes)})
	})
	res, err := drv.Restore(ctx, cfg, rd, p.Target.Options)
	stop()
	if err != nil {
		return task.Outcome{}, err
	}
	return task.Outcome{ResultType: "restore", Result: RestoreResult{SnapshotID: p.SnapshotID, Source: &res}}, nil
}

// snapshotReader is the source.Reader of a stream snapshot.
type snapshotReader struct {
	rs   *restorer.Restorer
	sn   *repo.Snapshot
	done atomic.Int64
}

var _ source.Reader = (*snapshotReader)(nil)

func (s *snapshotReader) List(ctx context.Context) ([]source.Entry, error) {
	nodes, err := s.rs.List(ctx, s.sn.Tree, "")
	if err != nil {
		return nil, err
	}
	out := make([]source.Entry, 0, len(nodes))
	for _, n := range nodes {
		if n.Type == tree.TypeFile {
			out = append(out, source.Entry{Name: n.Name, Size: int64(n.Size)})
		}
	}
	return out, nil
}

func (s *snapshotReader) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	n, err := s.rs.Lookup(ctx, s.sn.Tree, name)
	if errors.Is(err, os.ErrNotExist) || (err == nil && (n == nil || n.Type != tree.TypeFile)) {
		return nil, fmt.Errorf("%s in snapshot: %w", name, arca.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(s.rs.WriteContent(ctx, &countingWriter{w: pw, n: &s.done}, n))
	}()
	return pr, nil
}

func (s *snapshotReader) Labels() map[string]string { return s.sn.Labels }
