// Package catalog is the contract of Arca's metadata store: tasks, tenants,
// users and credentials, the audit log, repositories, sources and the cache
// of the snapshots in those repositories.
//
// Two drivers implement it, each owning its SQL, its embedded migrations and
// its error mapping: catalog/sqlite (the embedded default) and
// catalog/postgres (several processes). catalog/catalogtest is the conformance
// suite both pass. Drivers return arca errors (arca.ErrNotFound,
// arca.ErrAlreadyExists, arca.ErrFeatureInUse, ...), never driver errors.
package catalog

import (
	"context"
	"encoding/json"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// Store is the whole catalog. It is safe for concurrent use.
type Store interface {
	TaskStore
	TokenStore
	TenantStore
	UserStore
	SessionStore
	AuditStore
	RepositoryStore
	SourceStore
	SnapshotStore
	// Ping checks that the catalog answers.
	Ping(ctx context.Context) error
	// Close releases the connection pool.
	Close() error
}

// CreateTask says how to create a task.
type CreateTask struct {
	Task arca.Task // ID, Tenant, Operation, Target, Parent, Params, ExclusiveKey, ... set by the caller; State is ignored.
	// WaitForKey: when ExclusiveKey is held, create the task blocked (true)
	// instead of refusing it with FEATURE_IN_USE (false).
	WaitForKey bool
	// StartRunning creates the task running with no worker and no lease: a
	// batch parent whose state the engine derives from its children.
	StartRunning bool
	// IdempotencyKey, when set, makes creation idempotent per tenant: a second
	// call with the same key and RequestHash returns the first task.
	IdempotencyKey string
	RequestHash    string
}

// TaskFilter selects tasks. Zero fields do not filter.
type TaskFilter struct {
	Tenant     string // "" = every tenant
	States     []arca.TaskState
	Operation  arca.Operation
	Parent     string
	TargetType string
	TargetID   string
	// After is a cursor: only tasks whose id sorts after it (ids are time
	// ordered, so this pages from oldest to newest unless Desc).
	After string
	Desc  bool
	Limit int // 0 = driver default (100)
}

// Finish is the outcome a worker records for a task it holds.
type Finish struct {
	State      arca.TaskState // a terminal state
	Result     json.RawMessage
	ResultType string
	Error      *arca.TaskError
	Warnings   []string
	Progress   arca.Progress
}

// TaskStore persists tasks and their transitions. Every method that moves a
// task checks the state it moves from and never changes a terminal task.
type TaskStore interface {
	// CreateTask inserts a task queued (or running, or blocked). If
	// ExclusiveKey is held by an unfinished task it returns an
	// arca.ErrFeatureInUse error whose Details["task_id"] names the holder,
	// unless WaitForKey. With an IdempotencyKey already used by the tenant it
	// returns the existing task and replayed=true when RequestHash matches,
	// or an arca.CodeIdempotencyKeyReused error when it does not.
	CreateTask(ctx context.Context, c CreateTask) (t arca.Task, replayed bool, err error)
	// GetTask returns a task or arca.ErrNotFound.
	GetTask(ctx context.Context, id string) (arca.Task, error)
	// ListTasks returns the tasks that match, ordered by id.
	ListTasks(ctx context.Context, f TaskFilter) ([]arca.Task, error)
	// ClaimTasks moves up to limit queued tasks of the given operations to
	// running, oldest first, under worker's lease until leaseUntil, and
	// returns them with Attempt incremented. Safe against concurrent callers
	// in several processes: no task is claimed twice.
	ClaimTasks(ctx context.Context, worker string, ops []arca.Operation, limit int, now, leaseUntil time.Time) ([]arca.Task, error)
	// Heartbeat extends the lease of the tasks worker holds and returns the
	// ids among them whose cancel was requested.
	Heartbeat(ctx context.Context, worker string, ids []string, leaseUntil time.Time) (canceled []string, err error)
	// UpdateProgress records the progress of an unfinished task.
	UpdateProgress(ctx context.Context, id string, p arca.Progress, now time.Time) error
	// FinishTask moves an unfinished task to a terminal state, releases its
	// exclusivity key (queueing the oldest task blocked on it) and returns the
	// task as stored. worker must hold the task, or be "" for tasks without a
	// worker (queued, blocked, batch parents). A task already terminal →
	// arca.ErrNotAllowed.
	FinishTask(ctx context.Context, id, worker string, f Finish, now time.Time) (arca.Task, error)
	// RequestCancel marks a task and its unfinished descendants for
	// cancellation: queued and blocked ones end canceled at once, running ones
	// move to canceling. A terminal task → arca.ErrNotAllowed.
	RequestCancel(ctx context.Context, id string, now time.Time) (arca.Task, error)
	// ExpiredTasks returns running or canceling tasks whose lease ended before
	// now (or, with anyLease, every running or canceling task with a worker:
	// used by a single-process catalog at start-up).
	ExpiredTasks(ctx context.Context, now time.Time, anyLease bool) ([]arca.Task, error)
	// RequeueTask moves a running task back to queued, clearing its worker
	// and lease. With worker "" it is a rescue: the lease must have ended
	// before now. With a worker, that worker gives the task up (at shutdown,
	// or taking over for a dead process of a single-process catalog): the
	// task must be held by it, whatever the lease time.
	RequeueTask(ctx context.Context, id, worker string, now time.Time) error
	// DeleteTask deletes a terminal task (and its terminal children).
	// Unfinished → arca.ErrNotAllowed.
	DeleteTask(ctx context.Context, id string) error
	// DeleteTasksEndedBefore deletes terminal tasks that ended before t and
	// returns how many.
	DeleteTasksEndedBefore(ctx context.Context, t time.Time) (int, error)
}

// TokenStore persists API tokens.
type TokenStore interface {
	// CreateToken stores a token (its secret already hashed).
	CreateToken(ctx context.Context, t arca.APIToken) error
	// GetToken returns a token by id or arca.ErrNotFound.
	GetToken(ctx context.Context, id string) (arca.APIToken, error)
	// CountTokens returns how many tokens exist (to know whether to create the
	// bootstrap token).
	CountTokens(ctx context.Context) (int, error)
	// TouchToken records that the token was used at t.
	TouchToken(ctx context.Context, id string, t time.Time) error
	// ListTokens returns the tokens that match, ordered by id.
	ListTokens(ctx context.Context, f TokenFilter) ([]arca.APIToken, error)
	// RevokeToken marks a token revoked at t (a token already revoked keeps
	// its first revocation time); missing → arca.ErrNotFound.
	RevokeToken(ctx context.Context, id string, t time.Time) error
}
