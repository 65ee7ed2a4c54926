package arca

import (
	"encoding/json"
	"time"
)

// RepositoryKind is where a repository's objects are stored.
type RepositoryKind string

// The repository kinds.
const (
	RepositoryLocal RepositoryKind = "local" // a directory on the server
	RepositoryS3    RepositoryKind = "s3"    // an S3-compatible bucket and prefix
)

// Repository is a registered repository. Its password and storage
// credentials are not part of it: the catalog keeps them sealed under the
// server's master key (Secret), and no API ever returns them.
type Repository struct {
	ID     string         `json:"id"`
	Tenant string         `json:"tenant"`
	Name   string         `json:"name"` // unique per tenant
	Kind   RepositoryKind `json:"kind"`
	// Path is the directory of a local repository.
	Path string `json:"path,omitempty"`
	// S3 settings (kind s3).
	Endpoint string `json:"endpoint,omitempty"`
	Bucket   string `json:"bucket,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	Region   string `json:"region,omitempty"`
	Insecure bool   `json:"insecure,omitempty"` // plain HTTP to the endpoint
	// RepoID is the repository's own random id (from its config), known
	// once it was initialised or attached.
	RepoID string `json:"repo_id,omitempty"`
	// Secret is the sealed (encrypted) RepositorySecret; opaque bytes.
	Secret    []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RepositorySecret is what a repository's Secret seals: the repository
// password and the storage credentials.
type RepositorySecret struct {
	Password  string `json:"password"`
	AccessKey string `json:"access_key,omitempty"`
	SecretKey string `json:"secret_key,omitempty"`
}

// SourceKind names what a source backs up.
type SourceKind string

// The source kinds.
const (
	SourceFS       SourceKind = "fs"
	SourcePostgres SourceKind = "postgres"
	SourceMySQL    SourceKind = "mysql"
	SourceSQLite   SourceKind = "sqlite"
	SourceCommand  SourceKind = "command"
)

// Source is something to back up into one repository. Settings are the
// kind's own (see internal/source); secrets a kind needs (a database
// password) are sealed in Secret, never in Settings.
type Source struct {
	ID           string          `json:"id"`
	Tenant       string          `json:"tenant"`
	Name         string          `json:"name"` // unique per tenant
	Kind         SourceKind      `json:"kind"`
	RepositoryID string          `json:"repository_id"`
	Settings     json.RawMessage `json:"settings"`
	Secret       []byte          `json:"-"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
}

// Snapshot is the catalog's cached description of a snapshot in a
// repository. The repository is the truth: the cache can be rebuilt from
// it. ID is the repository's snapshot id (64 hex digits).
type Snapshot struct {
	ID           string            `json:"id"`
	Tenant       string            `json:"tenant"`
	RepositoryID string            `json:"repository_id"`
	SourceID     string            `json:"source_id,omitempty"` // "" for snapshots not made by a source of this catalog
	SourceKind   SourceKind        `json:"source_kind,omitempty"`
	Time         time.Time         `json:"time"`
	Hostname     string            `json:"hostname,omitempty"`
	Paths        []string          `json:"paths,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	CopyOnly     bool              `json:"copy_only,omitempty"`
	Tree         string            `json:"tree"`
	Parent       string            `json:"parent,omitempty"`
	Digest       string            `json:"content_digest,omitempty"`
	TaskID       string            `json:"task_id,omitempty"` // the backup task that made it
	Stats        json.RawMessage   `json:"stats,omitempty"`   // repo.SnapshotStats as JSON
	Labels       map[string]string `json:"labels,omitempty"`
}
