package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/seal"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/task"
)

// The operations of repositories, sources and snapshots.
const (
	OpRepositoryInit arca.Operation = "repository.init"
	OpBackup         arca.Operation = "backup"
	OpBackupBatch    arca.Operation = "backup.batch"
	OpRestore        arca.Operation = "restore"
	OpVerify         arca.Operation = "verify"
	OpPrune          arca.Operation = "prune"
	OpSnapshotForget arca.Operation = "snapshot.forget"
	OpSnapshotSync   arca.Operation = "snapshot.sync"
)

// Catalog is what the operations need of the catalog (catalog.Store).
type Catalog interface {
	GetRepository(ctx context.Context, id string) (arca.Repository, error)
	UpdateRepository(ctx context.Context, r arca.Repository) error
	DeleteRepository(ctx context.Context, id string) error
	GetSource(ctx context.Context, id string) (arca.Source, error)
	ListTasks(ctx context.Context, f catalog.TaskFilter) ([]arca.Task, error)
	catalog.SnapshotStore
}

// Options configure the operations.
type Options struct {
	// RestoreRoots are the directories restores may write under; a target
	// outside all of them is refused.
	RestoreRoots []string
	// ReadRoots, when set, are the only directories sources may read
	// server files under (kinds implementing source.LocalPaths).
	ReadRoots []string
	// AllowCommands lets command sources (which run any program as the
	// server's user) be created, backed up and restored.
	AllowCommands bool
	// PruneDelay is prune's safety delay (0: the pruner's default).
	PruneDelay time.Duration
	Hostname   string // recorded on snapshots (default os.Hostname)
	Version    string // recorded on snapshots
	// ProgressInterval is how often a running operation reports (default
	// 250 ms).
	ProgressInterval time.Duration
	Logger           *slog.Logger
	Now              func() time.Time
}

// Service runs the operations on repositories, sources and snapshots.
type Service struct {
	cat     Catalog
	repos   *Repos
	sources *source.Registry
	box     *seal.Box
	opts    Options
	log     *slog.Logger
}

// NewService returns the operations over cat, opening repositories from
// repos and backing up sources with the drivers of sources; box seals and
// opens the sources' secrets.
func NewService(cat Catalog, repos *Repos, sources *source.Registry, box *seal.Box, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 250 * time.Millisecond
	}
	return &Service{cat: cat, repos: repos, sources: sources, box: box, opts: opts, log: opts.Logger}
}

// Repos returns the pool of open repositories.
func (s *Service) Repos() *Repos { return s.repos }

// Sources returns the source drivers.
func (s *Service) Sources() *source.Registry { return s.sources }

// Register registers every operation's handler with the engine.
func (s *Service) Register(e *task.Engine) {
	e.Register(OpRepositoryInit, task.Handler{Run: s.runRepositoryInit, Resumable: true})
	e.Register(OpBackup, task.Handler{Run: s.runBackup})
	e.Register(OpBackupBatch, task.Handler{Run: func(context.Context, arca.Task, *task.Reporter) (task.Outcome, error) {
		return task.Outcome{}, arca.Errorf(arca.CodeInternal, "A batch task has no handler of its own: its jobs do the work.")
	}})
	e.Register(OpRestore, task.Handler{Run: s.runRestore})
	e.Register(OpVerify, task.Handler{Run: s.runVerify, Resumable: true})
	e.Register(OpPrune, task.Handler{Run: s.runPrune, Resumable: true})
	e.Register(OpSnapshotForget, task.Handler{Run: s.runForget, Resumable: true})
	e.Register(OpSnapshotSync, task.Handler{Run: s.runSync, Resumable: true})
}

// SealSourceSecret seals a source's secret for the row of source id.
func (s *Service) SealSourceSecret(id, secret string) ([]byte, error) {
	if secret == "" {
		return nil, nil
	}
	return s.box.Seal("source:"+id, []byte(secret))
}

func (s *Service) sourceSecret(src arca.Source) (string, error) {
	if len(src.Secret) == 0 {
		return "", nil
	}
	b, err := s.box.Open("source:"+src.ID, src.Secret)
	if err != nil {
		return "", &arca.Error{Code: arca.CodeUnavailable, Message: fmt.Sprintf("The stored secret of source %q cannot be decrypted: the server's master key changed. %s", src.Name, restoreMasterKey), Err: err}
	}
	return string(b), nil
}

// SourceConfig returns the driver's view of a source, its secret unsealed.
func (s *Service) SourceConfig(src arca.Source) (source.Config, error) {
	sec, err := s.sourceSecret(src)
	return source.Config{Source: src, Secret: sec}, err
}

func decodeParams(t arca.Task, v any) error {
	if err := json.Unmarshal(t.Params, v); err != nil {
		return fmt.Errorf("decode %s params: %w", t.Operation, err)
	}
	return nil
}

// ticker calls f every interval until the returned stop is called; stop
// waits for the last call to end.
func ticker(ctx context.Context, interval time.Duration, f func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f()
			}
		}
	}()
	return func() { cancel(); <-done }
}
