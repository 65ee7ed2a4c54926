package catalog

import (
	"context"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// ResourceFilter pages a tenant's resources by id. Zero fields do not
// filter.
type ResourceFilter struct {
	Tenant string // "" = every tenant (admins)
	After  string // cursor: ids after this one, ascending
	Limit  int    // 0 = driver default (100); at most 1000 (ListLimit)
}

// RepositoryStore persists registered repositories.
type RepositoryStore interface {
	// CreateRepository inserts r (ID, Name and Kind set; Tenant "" means
	// the default tenant; a zero CreatedAt is now, a zero UpdatedAt is
	// CreatedAt). A name already used in the tenant, or a taken id →
	// arca.ErrAlreadyExists.
	CreateRepository(ctx context.Context, r arca.Repository) error
	// GetRepository returns a repository or arca.ErrNotFound.
	GetRepository(ctx context.Context, id string) (arca.Repository, error)
	// ListRepositories returns the repositories that match, by id.
	ListRepositories(ctx context.Context, f ResourceFilter) ([]arca.Repository, error)
	// UpdateRepository replaces the mutable fields (Name, Kind and the
	// location fields, RepoID, Secret, UpdatedAt) of an existing
	// repository; Tenant and CreatedAt never change. Unknown id →
	// arca.ErrNotFound; a clashing name → arca.ErrAlreadyExists.
	UpdateRepository(ctx context.Context, r arca.Repository) error
	// DeleteRepository deletes a repository and its cached snapshots. A
	// repository that sources still target → arca.ErrNotAllowed (the
	// message names how many); unknown id → arca.ErrNotFound.
	DeleteRepository(ctx context.Context, id string) error
}

// SourceFilter selects sources.
type SourceFilter struct {
	ResourceFilter
	RepositoryID string
	Kind         arca.SourceKind
}

// SourceStore persists sources.
type SourceStore interface {
	// CreateSource inserts s; its repository must exist in the same tenant
	// (else arca.ErrNotFound); a name already used → arca.ErrAlreadyExists.
	CreateSource(ctx context.Context, s arca.Source) error
	// GetSource returns a source or arca.ErrNotFound.
	GetSource(ctx context.Context, id string) (arca.Source, error)
	// GetSources returns the sources with the given ids, in that order,
	// or arca.ErrNotFound naming the first missing id in Details["id"].
	GetSources(ctx context.Context, ids []string) ([]arca.Source, error)
	// ListSources returns the sources that match, by id.
	ListSources(ctx context.Context, f SourceFilter) ([]arca.Source, error)
	// UpdateSource replaces Name, RepositoryID, Settings, Secret and
	// UpdatedAt of an existing source (else arca.ErrNotFound), with the
	// rules of CreateSource for the repository and the name.
	UpdateSource(ctx context.Context, s arca.Source) error
	// DeleteSource deletes a source (else arca.ErrNotFound). Its snapshots
	// stay (cached and in the repository) with their source id.
	DeleteSource(ctx context.Context, id string) error
}

// SnapshotFilter selects cached snapshots.
type SnapshotFilter struct {
	Tenant       string
	RepositoryID string
	SourceID     string
	Tag          string // snapshots carrying this tag (exact match on one of Tags)
	// IDPrefix selects the snapshots whose id starts with it (to resolve
	// the short ids users type).
	IDPrefix string
	// Since and Until bound the snapshot time: Since <= Time < Until.
	Since, Until time.Time
	// After is a cursor: the (time, id) of the last snapshot of the
	// previous page, encoded by the driver as returned in
	// SnapshotPage.Next; pages go newest first.
	After string
	Limit int // 0 = driver default (100); at most 1000 (ListLimit)
}

// SnapshotStore is the catalog's cache of the snapshots in repositories.
type SnapshotStore interface {
	// PutSnapshot inserts or replaces the cached snapshot (same id and
	// repository). The repository must exist (else arca.ErrNotFound); the
	// snapshot takes its tenant (a different non-empty Tenant →
	// arca.ErrInvalidArgument). Time is kept to the microsecond.
	PutSnapshot(ctx context.Context, s arca.Snapshot) error
	// GetSnapshot returns a cached snapshot by id (full 64 hex digits) or
	// arca.ErrNotFound. Should two repositories cache the same id, the one
	// of the smallest repository id is returned.
	GetSnapshot(ctx context.Context, id string) (arca.Snapshot, error)
	// ListSnapshots returns one page, newest first (by time, then id
	// descending), and the cursor of the next page ("" at the end). A
	// cursor the driver did not make → arca.ErrInvalidArgument.
	ListSnapshots(ctx context.Context, f SnapshotFilter) (items []arca.Snapshot, next string, err error)
	// DeleteSnapshot removes one cached snapshot (no error if absent).
	DeleteSnapshot(ctx context.Context, repositoryID, id string) error
	// ReplaceSnapshots makes the cache of a repository exactly snaps, in
	// one transaction (rebuilding it from the repository): all or nothing,
	// with the rules of PutSnapshot for each.
	ReplaceSnapshots(ctx context.Context, repositoryID string, snaps []arca.Snapshot) error
}
