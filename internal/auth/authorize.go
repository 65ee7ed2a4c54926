package auth

import (
	"slices"

	"github.com/arcabackup/arca/internal/arca"
)

// Action is something a principal asks to do. Each API route names one.
type Action string

// The actions. Every API route declares one (server.register); the
// permission table below says which roles may perform it.
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

	// Identity and access.
	ActionLogin       Action = "session.create" // public: the credentials are the request
	ActionSessionRead Action = "session.read"   // who am I
	ActionLogout      Action = "session.delete"
	ActionTenantRead  Action = "tenant.read"
	ActionTenantWrite Action = "tenant.write"
	ActionUserRead    Action = "user.read"
	ActionUserWrite   Action = "user.write"
	ActionTokenRead   Action = "token.read"
	ActionTokenWrite  Action = "token.write"
	ActionAuditRead   Action = "audit.read"
)

// permissions is THE permission table: for each action, the roles that may
// perform it within their own tenant (admin: in every tenant). It is the one
// place that decides; nothing else grants a permission. An action missing
// here is denied to everyone.
var permissions = map[Action][]arca.Role{
	ActionLogin:       nil, // needs no principal (see Public)
	ActionSessionRead: atLeast(arca.RoleViewer),
	ActionLogout:      atLeast(arca.RoleViewer),

	ActionTaskRead:         atLeast(arca.RoleViewer),
	ActionRepositoryRead:   atLeast(arca.RoleViewer),
	ActionSourceRead:       atLeast(arca.RoleViewer),
	ActionSnapshotRead:     atLeast(arca.RoleViewer),
	ActionTaskCancel:       atLeast(arca.RoleOperator),
	ActionTaskDelete:       atLeast(arca.RoleOperator),
	ActionBackupRun:        atLeast(arca.RoleOperator),
	ActionRestoreRun:       atLeast(arca.RoleOperator),
	ActionVerifyRun:        atLeast(arca.RoleOperator),
	ActionSnapshotDownload: atLeast(arca.RoleOperator),
	ActionRepositoryWrite:  atLeast(arca.RoleTenantAdmin),
	ActionSourceWrite:      atLeast(arca.RoleTenantAdmin),
	ActionPruneRun:         atLeast(arca.RoleTenantAdmin),
	ActionSnapshotForget:   atLeast(arca.RoleTenantAdmin),
	ActionUserRead:         atLeast(arca.RoleTenantAdmin),
	ActionUserWrite:        atLeast(arca.RoleTenantAdmin),
	ActionTokenRead:        atLeast(arca.RoleTenantAdmin),
	ActionTokenWrite:       atLeast(arca.RoleTenantAdmin),
	ActionAuditRead:        atLeast(arca.RoleTenantAdmin),
	ActionTenantRead:       atLeast(arca.RoleAdmin),
	ActionTenantWrite:      atLeast(arca.RoleAdmin),
	ActionSystem:           atLeast(arca.RoleAdmin),
}

// atLeast returns r and every role ranked above it.
func atLeast(r arca.Role) []arca.Role {
	var out []arca.Role
	for _, x := range arca.Roles() {
		if x.Rank() >= r.Rank() {
			out = append(out, x)
		}
	}
	return out
}

// Actions returns every action of the table, sorted.
func Actions() []Action {
	out := make([]Action, 0, len(permissions))
	for a := range permissions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// RolesFor returns the roles that may perform a (nil for an unknown or
// public action).
func RolesFor(a Action) []arca.Role { return slices.Clone(permissions[a]) }

// Known reports whether a is in the permission table.
func Known(a Action) bool {
	_, ok := permissions[a]
	return ok
}

// Public reports whether a needs no authenticated principal.
func Public(a Action) bool { return a == ActionLogin }

// Roles is the role-based authorizer over the permission table: admin may
// do anything anywhere; other principals act only within their own tenant,
// with one of the roles the table lists for the action.
type Roles struct{}

// Permit returns nil when one of p's roles may perform action at all (in
// p's own tenant), or a PERMISSION_DENIED error naming the action. It is the
// check the server runs on every request before the handler.
func (Roles) Permit(p arca.Principal, action Action) error {
	allowed := permissions[action]
	for _, r := range p.Roles {
		if slices.Contains(allowed, r) {
			return nil
		}
	}
	return denied(action)
}

// Authorize returns nil when p may perform action on a resource of tenant
// ("" for system-wide actions), or a PERMISSION_DENIED error.
func (r Roles) Authorize(p arca.Principal, action Action, tenant string) error {
	if err := r.Permit(p, action); err != nil {
		return err
	}
	if !p.HasRole(arca.RoleAdmin) && tenant != "" && tenant != p.Tenant {
		return denied(action)
	}
	return nil
}

// SeesTenant reports whether p may see resources of tenant at all: the
// server answers NOT_FOUND rather than PERMISSION_DENIED for resources of
// another tenant, so that ids do not leak across tenants.
func (Roles) SeesTenant(p arca.Principal, tenant string) bool {
	return p.HasRole(arca.RoleAdmin) || p.Tenant == tenant
}

// MayGrant reports whether p may give roles to a user or token: never a role
// above p's own highest, and admin only by an admin.
func MayGrant(p arca.Principal, roles []arca.Role) bool {
	top := p.Top().Rank()
	for _, r := range roles {
		if r.Rank() > top {
			return false
		}
	}
	return true
}

func denied(a Action) error {
	return &arca.Error{Code: arca.CodePermissionDenied,
		Message: "Your credentials do not allow " + string(a) + ": ask an administrator for a role that does.",
		Details: map[string]string{"action": string(a)}}
}
