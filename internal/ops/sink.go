package ops

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/task"
)

// sink is the source.Sink of one backup: files go through the archiver's
// walker, streams through a StreamSnapshot. It reports progress to the
// task as the backup goes.
type sink struct {
	svc    *Service
	ar     *archiver.Archiver
	rep    *task.Reporter
	tmpl   repo.Snapshot
	parent *repo.ID
	// estimate is the parent's statistics: with it the progress totals
	// are the parent's size instead of a pre-scan's count, which would
	// walk the whole tree a second time beside the backup (a third of the
	// CPU of a no-change backup).
	estimate *repo.SnapshotStats

	mu       sync.Mutex
	files    *archiver.Result // set by Files
	streams  *archiver.StreamSnapshot
	stopTick func()
	expect   atomic.Int64
}

var _ source.Sink = (*sink)(nil)

func (s *Service) newSink(r *repo.Repository, rep *task.Reporter, taskID string, src arca.Source, p BackupParams) *sink {
	return &sink{svc: s, rep: rep, ar: archiver.New(r, archiver.Options{Now: s.opts.Now}),
		tmpl: repo.Snapshot{Hostname: s.opts.Hostname, Tags: p.Tags, Source: src.ID, SourceKind: string(src.Kind),
			CopyOnly: p.CopyOnly, ProgramVersion: s.opts.Version,
			Labels: map[string]string{"task_id": taskID, "source_name": src.Name}}}
}

var errMixed = errors.New("a backup saves files or streams, not both")

// Files backs up paths and saves the snapshot at once (the archiver
// flushes before it saves); commit then only adds the driver's labels to
// the result it reports.
func (k *sink) Files(ctx context.Context, paths []string, opts source.FileOptions) error {
	k.mu.Lock()
	if k.streams != nil || k.files != nil {
		k.mu.Unlock()
		return errMixed
	}
	k.mu.Unlock()
	res, err := k.ar.Snapshot(ctx, paths, archiver.SnapshotOptions{Excludes: opts.Excludes, OneFileSystem: opts.OneFileSystem,
		Parent: k.parent, NoScan: k.estimated(), Template: k.tmpl, ProgressInterval: k.svc.opts.ProgressInterval, Progress: k.report})
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.files = res
	k.mu.Unlock()
	return nil
}

// estimated reports whether the parent's size stands in for the totals.
func (k *sink) estimated() bool {
	return k.parent != nil && usableEstimate(k.estimate)
}

func usableEstimate(e *repo.SnapshotStats) bool {
	return e != nil && (e.TotalBytes > 0 || e.Files > 0)
}

func (k *sink) report(p archiver.Progress) {
	var e *repo.SnapshotStats
	if k.estimated() {
		e = k.estimate
	}
	k.rep.Update(fileProgress(p, e))
}

// fileProgress is the task progress of a file backup. Without a pre-scan
// the totals are estimate's (the parent's size), or what is done if more,
// until the backup ends.
func fileProgress(p archiver.Progress, estimate *repo.SnapshotStats) arca.Progress {
	files, bytes := p.FilesTotal, p.BytesTotal
	if usableEstimate(estimate) && !p.TotalsFinal {
		files, bytes = max(estimate.Files+estimate.Others, p.FilesDone), max(estimate.TotalBytes, p.BytesDone)
	}
	return arca.Progress{Phase: p.Phase, BytesDone: int64(p.BytesDone), BytesTotal: int64(bytes),
		ItemsDone: int64(p.FilesDone), ItemsTotal: int64(files)}
}

// Stream saves r as one file of the snapshot.
func (k *sink) Stream(ctx context.Context, name string, r io.Reader) error {
	k.mu.Lock()
	if k.files != nil {
		k.mu.Unlock()
		return errMixed
	}
	if k.streams == nil {
		k.streams = k.ar.Streams(k.tmpl)
		ss := k.streams
		k.stopTick = ticker(ctx, k.svc.opts.ProgressInterval, func() { k.reportStreams(ss) })
	}
	ss := k.streams
	k.mu.Unlock()
	return ss.Add(ctx, name, r)
}

func (k *sink) reportStreams(ss *archiver.StreamSnapshot) {
	p := ss.Progress()
	total := k.expect.Load()
	if int64(p.BytesDone) > total {
		total = 0 // the guess was short: unknown
	}
	k.rep.Update(arca.Progress{Phase: p.Phase, BytesDone: int64(p.BytesDone), BytesTotal: total, ItemsDone: int64(p.FilesDone)})
}

// Expect records the expected size of the backup.
func (k *sink) Expect(bytes int64) { k.expect.Store(bytes) }

func (k *sink) stop() {
	k.mu.Lock()
	stop := k.stopTick
	k.stopTick = nil
	k.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// commit saves the snapshot of a stream backup, or returns the one a file
// backup saved.
func (k *sink) commit(ctx context.Context, meta source.Meta) (*archiver.Result, error) {
	defer k.stop()
	k.mu.Lock()
	files, streams := k.files, k.streams
	k.mu.Unlock()
	switch {
	case files != nil:
		return files, nil
	case streams == nil:
		return nil, arca.Errorf(arca.CodeInternal, "The source produced nothing to back up.")
	}
	for key, v := range meta {
		streams.SetLabel(key, v)
	}
	k.rep.Phase(archiver.PhaseFlush)
	return streams.Commit(ctx)
}
