package catalog

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// The rules below validate repositories, sources and snapshots before a
// driver stores them, and word the errors both drivers return about them.

// PrepareRepository validates r and fills in its defaults: the default
// tenant, CreatedAt = now when zero, UpdatedAt = CreatedAt when zero, times
// as stored, and nil for an empty secret.
func PrepareRepository(r arca.Repository, now time.Time) (arca.Repository, error) {
	if r.Tenant == "" {
		r.Tenant = arca.DefaultTenant
	}
	r.CreatedAt, r.UpdatedAt = resourceTimes(r.CreatedAt, r.UpdatedAt, now)
	if len(r.Secret) == 0 {
		r.Secret = nil
	}
	if err := requireText("repository", map[string]string{"id": r.ID, "name": r.Name, "kind": string(r.Kind)}); err != nil {
		return arca.Repository{}, err
	}
	if err := checkText(map[string]string{"tenant": r.Tenant, "path": r.Path, "endpoint": r.Endpoint,
		"bucket": r.Bucket, "prefix": r.Prefix, "region": r.Region, "repo_id": r.RepoID}); err != nil {
		return arca.Repository{}, err
	}
	return r, nil
}

// PrepareSource validates s and fills in its defaults as PrepareRepository
// does; empty settings become nil.
func PrepareSource(s arca.Source, now time.Time) (arca.Source, error) {
	if s.Tenant == "" {
		s.Tenant = arca.DefaultTenant
	}
	s.CreatedAt, s.UpdatedAt = resourceTimes(s.CreatedAt, s.UpdatedAt, now)
	if len(s.Secret) == 0 {
		s.Secret = nil
	}
	if len(s.Settings) == 0 {
		s.Settings = nil
	}
	if err := requireText("source", map[string]string{"id": s.ID, "name": s.Name, "kind": string(s.Kind),
		"repository_id": s.RepositoryID}); err != nil {
		return arca.Source{}, err
	}
	if err := checkText(map[string]string{"tenant": s.Tenant}); err != nil {
		return arca.Source{}, err
	}
	if s.Settings != nil && !json.Valid(s.Settings) {
		return arca.Source{}, invalid("settings", "The source settings are not valid JSON.")
	}
	return s, nil
}

// PrepareSnapshot validates a snapshot to cache in repositoryID (s's own
// RepositoryID must be that or empty) and normalises it: the repository id
// set, the time as stored, empty lists, labels and stats as nil.
func PrepareSnapshot(s arca.Snapshot, repositoryID string) (arca.Snapshot, error) {
	if s.RepositoryID != "" && s.RepositoryID != repositoryID {
		return arca.Snapshot{}, invalid("repository_id", fmt.Sprintf(
			"Snapshot %s belongs to repository %s, not %s.", s.ID, s.RepositoryID, repositoryID))
	}
	s.RepositoryID = repositoryID
	s.Time = DBTime(s.Time)
	if len(s.Paths) == 0 {
		s.Paths = nil
	}
	if len(s.Tags) == 0 {
		s.Tags = nil
	}
	if len(s.Labels) == 0 {
		s.Labels = nil
	}
	if len(s.Stats) == 0 {
		s.Stats = nil
	}
	if err := requireText("snapshot", map[string]string{"id": s.ID, "repository_id": repositoryID,
		"tree": s.Tree}); err != nil {
		return arca.Snapshot{}, err
	}
	text := map[string]string{"tenant": s.Tenant, "source_id": s.SourceID, "source_kind": string(s.SourceKind),
		"hostname": s.Hostname, "parent": s.Parent, "content_digest": s.Digest, "task_id": s.TaskID}
	for i, p := range s.Paths {
		text[fmt.Sprintf("paths[%d]", i)] = p
	}
	for i, tag := range s.Tags {
		text[fmt.Sprintf("tags[%d]", i)] = tag
	}
	for k, v := range s.Labels {
		text["label "+k] = k + v
	}
	if err := checkText(text); err != nil {
		return arca.Snapshot{}, err
	}
	if s.Stats != nil && !json.Valid(s.Stats) {
		return arca.Snapshot{}, invalid("stats", "The snapshot statistics are not valid JSON.")
	}
	return s, nil
}

// resourceTimes returns the creation and update times to store.
func resourceTimes(created, updated, now time.Time) (time.Time, time.Time) {
	if created.IsZero() {
		created = now
	}
	if updated.IsZero() {
		updated = created
	}
	return DBTime(created), DBTime(updated)
}

// requireText checks fields that must be set and be valid text.
func requireText(what string, fields map[string]string) error {
	if err := checkText(fields); err != nil {
		return err
	}
	for _, name := range []string{"id", "name", "kind", "repository_id", "tree"} {
		if v, ok := fields[name]; ok && v == "" {
			return invalid(name, fmt.Sprintf("A %s needs a %s.", what, name))
		}
	}
	return nil
}

// RepositoryNotFound is the error for a repository id that does not exist
// (or not in the caller's tenant).
func RepositoryNotFound(id string) error {
	return &arca.Error{Code: arca.CodeNotFound,
		Message: fmt.Sprintf("Repository %q not found: list the repositories to find its id.", id),
		Fields:  []arca.FieldError{{Field: "repository_id", Message: "no such repository"}},
		Details: map[string]string{"id": id}}
}

// SourceNotFound is the error for a source id that does not exist.
func SourceNotFound(id string) error {
	return &arca.Error{Code: arca.CodeNotFound,
		Message: fmt.Sprintf("Source %q not found: list the sources to find its id.", id),
		Details: map[string]string{"id": id}}
}

// SnapshotNotFound is the error for a snapshot id the catalog does not hold.
func SnapshotNotFound(id string) error {
	return &arca.Error{Code: arca.CodeNotFound,
		Message: fmt.Sprintf("Snapshot %q not found: give its full id (64 hex digits) as listed.", id),
		Details: map[string]string{"id": id}}
}

// NameTaken is the error for a repository or source name already used in
// the tenant (what is "repository" or "source").
func NameTaken(what, name string) error {
	return &arca.Error{Code: arca.CodeAlreadyExists,
		Message: fmt.Sprintf("A %s named %q already exists: choose another name.", what, name),
		Fields:  []arca.FieldError{{Field: "name", Message: "already used"}}}
}

// IDTaken is the error for a repository or source id already taken.
func IDTaken(what, id string) error {
	return arca.Errorf(arca.CodeAlreadyExists, "A %s with id %q already exists.", what, id)
}

// RepositoryInUse is the error for deleting a repository that n sources
// still target.
func RepositoryInUse(id string, n int) error {
	sources := "sources still target it"
	if n == 1 {
		sources = "source still targets it"
	}
	return arca.Errorf(arca.CodeNotAllowedInState,
		"Repository %s cannot be deleted: %d %s. Delete those sources or move them to another repository first.",
		id, n, sources)
}

// TenantMismatch is the error for a snapshot cached under a tenant other
// than its repository's.
func TenantMismatch(snapshotID, tenant, repoTenant string) error {
	return invalid("tenant", fmt.Sprintf("Snapshot %s is of tenant %q but its repository is of tenant %q.",
		snapshotID, tenant, repoTenant))
}

// OrderSources returns the sources of found in the order of ids (an id
// given twice gives its source twice), or the NOT_FOUND error of the first
// id not found.
func OrderSources(ids []string, found []arca.Source) ([]arca.Source, error) {
	byID := make(map[string]arca.Source, len(found))
	for _, s := range found {
		byID[s.ID] = s
	}
	out := make([]arca.Source, 0, len(ids))
	for _, id := range ids {
		s, ok := byID[id]
		if !ok {
			return nil, SourceNotFound(id)
		}
		out = append(out, s)
	}
	return out, nil
}
