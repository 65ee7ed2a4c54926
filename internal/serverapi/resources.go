package serverapi

import (
	"encoding/json"
	"time"
)

// Repository is a registered repository. Its password and credentials are
// write-only: no response carries them.
type Repository struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind" enum:"local,s3"`
	Path      string    `json:"path,omitempty" doc:"Directory of a local repository."`
	Endpoint  string    `json:"endpoint,omitempty" doc:"S3 endpoint host[:port]."`
	Bucket    string    `json:"bucket,omitempty"`
	Prefix    string    `json:"prefix,omitempty"`
	Region    string    `json:"region,omitempty"`
	Insecure  bool      `json:"insecure,omitempty" doc:"Plain HTTP to the S3 endpoint."`
	RepoID    string    `json:"repo_id,omitempty" doc:"The repository's own id, once initialised or attached."`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RepositoryCreate registers a repository: initialises a new one at the
// location, or attaches the one already there after checking the password.
type RepositoryCreate struct {
	Name      string `json:"name" minLength:"1" maxLength:"128" doc:"Unique within the tenant."`
	Kind      string `json:"kind" enum:"local,s3"`
	Path      string `json:"path,omitempty" maxLength:"4096"`
	Endpoint  string `json:"endpoint,omitempty" maxLength:"512"`
	Bucket    string `json:"bucket,omitempty" maxLength:"255"`
	Prefix    string `json:"prefix,omitempty" maxLength:"1024"`
	Region    string `json:"region,omitempty" maxLength:"64"`
	Insecure  bool   `json:"insecure,omitempty"`
	AccessKey string `json:"access_key,omitempty" maxLength:"1024" doc:"S3 access key (write-only)."`
	SecretKey string `json:"secret_key,omitempty" maxLength:"1024" doc:"S3 secret key (write-only)."`
	Password  string `json:"password" minLength:"1" maxLength:"1024" doc:"Repository password (write-only)."`
	// Attach, when true, requires a repository to exist at the location;
	// when false (the default) a repository already there is attached too,
	// and an empty location is initialised.
	Attach bool `json:"attach,omitempty" doc:"Only attach an existing repository; never initialise one."`
}

// RepositoryPatch changes a repository. Absent fields stay.
type RepositoryPatch struct {
	Name      *string `json:"name,omitempty" minLength:"1" maxLength:"128"`
	AccessKey *string `json:"access_key,omitempty" maxLength:"1024"`
	SecretKey *string `json:"secret_key,omitempty" maxLength:"1024"`
	Password  *string `json:"password,omitempty" minLength:"1" maxLength:"1024" doc:"The password the server uses to open the repository (checked before it is stored); it does not change the repository's keys."`
}

// RepositoryCreated answers a repository creation: the repository, and the
// task that initialises or attaches it.
type RepositoryCreated struct {
	Repository Repository `json:"repository"`
	Task       Task       `json:"task"`
}

// RepositoryList is one page of repositories.
type RepositoryList struct {
	Items      []Repository `json:"items" nullable:"false"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// Source is something to back up.
type Source struct {
	ID           string          `json:"id"`
	Tenant       string          `json:"tenant"`
	Name         string          `json:"name"`
	Kind         string          `json:"kind" doc:"fs, postgres, mysql, sqlite or command."`
	RepositoryID string          `json:"repository_id"`
	Settings     json.RawMessage `json:"settings" doc:"The kind's settings (see docs/sources.md)."`
	HasSecret    bool            `json:"has_secret,omitempty" doc:"A secret (password) is stored for the source."`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
}

// SourceCreate creates a source.
type SourceCreate struct {
	Name         string          `json:"name" minLength:"1" maxLength:"128"`
	Kind         string          `json:"kind" maxLength:"32"`
	RepositoryID string          `json:"repository_id" maxLength:"64"`
	Settings     json.RawMessage `json:"settings" doc:"The kind's settings; for fs: {\"paths\": [...], \"excludes\": [...], \"one_file_system\": false}."`
	Secret       string          `json:"secret,omitempty" maxLength:"4096" doc:"A password the kind needs (write-only)."`
	SkipProbe    bool            `json:"skip_probe,omitempty" doc:"Store the source without checking that it can be backed up now."`
}

// SourcePatch changes a source. Absent fields stay.
type SourcePatch struct {
	Name      *string         `json:"name,omitempty" minLength:"1" maxLength:"128"`
	Settings  json.RawMessage `json:"settings,omitempty"`
	Secret    *string         `json:"secret,omitempty" maxLength:"4096"`
	SkipProbe bool            `json:"skip_probe,omitempty"`
}

// SourceList is one page of sources.
type SourceList struct {
	Items      []Source `json:"items" nullable:"false"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// BackupRequest starts a backup of one source.
type BackupRequest struct {
	Tags     []string `json:"tags,omitempty" maxItems:"32"`
	CopyOnly bool     `json:"copy_only,omitempty" doc:"The snapshot is never a parent for change detection and is not counted by retention."`
	Level    string   `json:"level,omitempty" enum:"full,incremental" doc:"full reads everything again; incremental (default) uses the parent where the kind can."`
}

// BatchBackupRequest starts a backup of up to 100 sources at once.
type BatchBackupRequest struct {
	SourceIDs []string `json:"source_ids" doc:"At most 100 distinct source ids."`
	Tags      []string `json:"tags,omitempty" maxItems:"32"`
	CopyOnly  bool     `json:"copy_only,omitempty"`
	Level     string   `json:"level,omitempty" enum:"full,incremental"`
}

// BatchJob is one job of a batch: the backup of one source.
type BatchJob struct {
	SourceID string `json:"source_id"`
	TaskID   string `json:"task_id"`
}

// BatchBackupResponse answers a batch: the parent task and one job per
// source.
type BatchBackupResponse struct {
	Task Task       `json:"task"`
	Jobs []BatchJob `json:"jobs" nullable:"false"`
}

// BackupResult is the result of a backup task (result_type "backup").
type BackupResult struct {
	SnapshotID    string            `json:"snapshot_id"`
	RepositoryID  string            `json:"repository_id"`
	SourceID      string            `json:"source_id"`
	ContentDigest string            `json:"content_digest,omitempty"`
	Stats         json.RawMessage   `json:"stats"`
	Labels        map[string]string `json:"labels,omitempty"`
}

// RestoreTarget is where a restore writes.
type RestoreTarget struct {
	Path string `json:"path,omitempty" maxLength:"4096" doc:"Directory to restore files into (fs), or the file a sqlite database is restored to."`
	// Kind-specific target (database name, command, ...), see docs/sources.md.
	Options json.RawMessage `json:"options,omitempty"`
}

// RestoreRequest starts a restore.
type RestoreRequest struct {
	SnapshotID string        `json:"snapshot_id" minLength:"1" maxLength:"64"`
	Paths      []string      `json:"paths,omitempty" maxItems:"1000" doc:"Only these paths of the snapshot (fs)."`
	Target     RestoreTarget `json:"target"`
	Overwrite  string        `json:"overwrite,omitempty" enum:"never,if-changed,always" doc:"What to do with files already at the target (default never)."`
}

// VerifyRequest starts a verification of a repository.
type VerifyRequest struct {
	ReadDataPercent float64 `json:"read_data_percent,omitempty" minimum:"0" maximum:"100" doc:"Share of the packs to read and verify in full (0 checks structure only)."`
}

// Policy is a retention policy.
type Policy struct {
	Last    int        `json:"last,omitempty" minimum:"0"`
	Hourly  int        `json:"hourly,omitempty" minimum:"0"`
	Daily   int        `json:"daily,omitempty" minimum:"0"`
	Weekly  int        `json:"weekly,omitempty" minimum:"0"`
	Monthly int        `json:"monthly,omitempty" minimum:"0"`
	Yearly  int        `json:"yearly,omitempty" minimum:"0"`
	Within  string     `json:"within,omitempty" doc:"Keep every snapshot this long before the newest of its group (Go duration or 7d, 2w, 3m, 1y)."`
	Tags    [][]string `json:"tags,omitempty"`
}

// PruneRequest forgets snapshots by policy and collects unused data.
type PruneRequest struct {
	Policy   *Policy `json:"policy,omitempty" doc:"Forget what the policy does not keep first; without, only collect unused data."`
	SourceID string  `json:"source_id,omitempty" doc:"Apply the policy to this source's snapshots only."`
	DryRun   bool    `json:"dry_run,omitempty" doc:"Report what would be forgotten and reclaimed; change nothing."`
}

// Snapshot is a snapshot in a repository.
type Snapshot struct {
	ID            string            `json:"id"`
	Tenant        string            `json:"tenant"`
	RepositoryID  string            `json:"repository_id"`
	SourceID      string            `json:"source_id,omitempty"`
	SourceKind    string            `json:"source_kind,omitempty"`
	Time          time.Time         `json:"time"`
	Hostname      string            `json:"hostname,omitempty"`
	Paths         []string          `json:"paths,omitempty"`
	Tags          []string          `json:"tags,omitempty"`
	CopyOnly      bool              `json:"copy_only,omitempty"`
	Parent        string            `json:"parent,omitempty"`
	ContentDigest string            `json:"content_digest,omitempty"`
	TaskID        string            `json:"task_id,omitempty"`
	Stats         json.RawMessage   `json:"stats,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
}

// SnapshotList is one page of snapshots, newest first.
type SnapshotList struct {
	Items      []Snapshot `json:"items" nullable:"false"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// TreeEntry is one entry of a directory in a snapshot.
type TreeEntry struct {
	Name    string    `json:"name"`
	Path    string    `json:"path" doc:"Path within the snapshot, from its root, without a leading slash."`
	Type    string    `json:"type" enum:"file,dir,symlink,other"`
	Size    int64     `json:"size,omitempty"`
	Mode    string    `json:"mode"`
	ModTime time.Time `json:"mtime"`
	Target  string    `json:"link_target,omitempty"`
}

// TreeListing is the content of one directory of a snapshot.
type TreeListing struct {
	Path    string      `json:"path"`
	Entries []TreeEntry `json:"entries" nullable:"false"`
}
