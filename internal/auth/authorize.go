package auth

import (
	"github.com/arcabackup/arca/internal/arca"
)

// Action is something a principal asks to do. Each API route names one.
type Action string

// The actions of the task API. Later issues add their own.
const (
	ActionTaskRead   Action = "task.read"
	ActionTaskCancel Action = "task.cancel"
	ActionTaskDelete Action = "task.delete"
	ActionSystem     Action = "system.admin" // system-wide operations: admin only

	// Repositories, sources, snapshots and the operations on them.
	ActionRepositoryRead   Action = "repository.read"
	ActionRepositoryWrite  Action = "repository.write" // add, change, remove
	ActionSourceRead       Action = "source.read"
	ActionSourceWrite      Action = "source.write"
	ActionBackupRun        Action = "backup.run"
	ActionRestoreRun       Action = "restore.run"
	ActionVerifyRun        Action = "verify.run"
	ActionPruneRun         Action = "prune.run"
	ActionSnapshotRead     Action = "snapshot.read"     // list, show, browse the tree
	ActionSnapshotDownload Action = "snapshot.download" // read file contents
	ActionSnapshotForget   Action = "snapshot.forget"
)

// minimum returns the least role an action needs within its tenant.
func minimum(a Action) (arca.Role, bool) {
	switch a {
	case ActionTaskRead, ActionRepositoryRead, ActionSourceRead, ActionSnapshotRead:
		return arca.RoleViewer, true
	case ActionTaskCancel, ActionTaskDelete, ActionBackupRun, ActionRestoreRun, ActionVerifyRun,
		ActionSnapshotDownload:
		return arca.RoleOperator, true
	case ActionRepositoryWrite, ActionSourceWrite, ActionPruneRun, ActionSnapshotForget:
		return arca.RoleTenantAdmin, true
	case ActionSystem:
		return arca.RoleAdmin, true
	}
	return "", false
}

// rank orders the roles; admin outranks all and spans tenants.
func rank(r arca.Role) int {
	switch r {
	case arca.RoleViewer:
		return 1
	case arca.RoleOperator:
		return 2
	case arca.RoleTenantAdmin:
		return 3
	case arca.RoleAdmin:
		return 4
	}
	return 0
}

// Roles is the role-based authorizer: admin may do anything anywhere; other
// principals act only within their own tenant, with a role at least the
// action's minimum. Users, per-tenant role grants and custom roles come later
// behind the same method.
type Roles struct{}

// Authorize returns nil when p may perform action on a resource of tenant
// ("" for system-wide actions), or a PERMISSION_DENIED error.
func (Roles) Authorize(p arca.Principal, action Action, tenant string) error {
	if p.HasRole(arca.RoleAdmin) {
		return nil
	}
	need, ok := minimum(action)
	if !ok || need == arca.RoleAdmin || (tenant != "" && tenant != p.Tenant) {
		return denied(action)
	}
	for _, r := range p.Roles {
		if rank(r) >= rank(need) {
			return nil
		}
	}
	return denied(action)
}

// SeesTenant reports whether p may see resources of tenant at all: the
// server answers NOT_FOUND rather than PERMISSION_DENIED for resources of
// another tenant, so that ids do not leak across tenants.
func (Roles) SeesTenant(p arca.Principal, tenant string) bool {
	return p.HasRole(arca.RoleAdmin) || p.Tenant == tenant
}

func denied(a Action) error {
	return arca.Errorf(arca.CodePermissionDenied,
		"Your credentials do not allow %s: ask an administrator for a role that does.", a)
}
