// Package source is the contract every kind of backup source implements:
// files (fs), databases (postgres, mysql, sqlite) and any command's output
// (command). A Driver validates a source's settings, probes that it can be
// backed up, produces its content into a Sink, and restores it.
//
// The drivers live in child packages named for their technology
// (source/fs, source/postgres, ...). They know nothing of the catalog, the
// task engine or HTTP: the backup operation (internal/ops) unseals the
// source's secret, gives the driver a Sink that writes into the repository
// (the archiver), and records the snapshot. Drivers are registered
// explicitly by the edge (cmd/arca) in a Registry.
package source

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/arcabackup/arca/internal/arca"
)

// Level says how much a backup reads.
type Level string

// The levels.
const (
	// LevelIncremental uses the parent snapshot where the kind can (fs
	// skips files whose metadata is unchanged). The default.
	LevelIncremental Level = "incremental"
	// LevelFull reads everything again.
	LevelFull Level = "full"
)

// Config is one source as a driver sees it.
type Config struct {
	Source arca.Source
	// Secret is the source's unsealed secret (a database password), "" if
	// none. A driver passes it to child processes through a file or the
	// environment, never in an argument list, and never logs it.
	Secret string
}

// Driver is one source kind. Methods are safe for concurrent use.
type Driver interface {
	// Kind names the kind this driver implements.
	Kind() arca.SourceKind
	// Validate checks settings without touching anything, returning an
	// arca.CodeInvalidArgument error whose Fields name each bad setting
	// ("settings.url", ...), or nil. It may normalise nothing: the caller
	// stores settings as given.
	Validate(settings json.RawMessage) error
	// Probe checks that the source can be backed up now: host reachable
	// (arca.CodeUnavailable), credentials accepted
	// (arca.CodeUnauthenticated), tools present and of a suitable version
	// (arca.CodeUnavailable), privileges enough (arca.CodePermissionDenied).
	// The error's message is a sentence naming the source and what to fix.
	Probe(ctx context.Context, c Config) error
	// Backup produces the source's content into sink and returns facts to
	// record on the snapshot (engine, server_version, databases, ...). It
	// returns when everything was handed to sink; a canceled ctx stops it
	// promptly, ending any child process.
	Backup(ctx context.Context, c Config, opts BackupOptions, sink Sink) (Meta, error)
	// Restore writes the content of a snapshot of this kind to target,
	// whose shape is the kind's own (documented by each driver), reading
	// it from snap.
	Restore(ctx context.Context, c Config, snap Reader, target json.RawMessage) (RestoreResult, error)
}

// BackupOptions are the options of one backup.
type BackupOptions struct {
	Level Level
}

// Meta are facts about a backup, recorded as the snapshot's labels: by
// convention "engine", "server_version", "databases" (a JSON array of
// {name, size}), "command".
type Meta map[string]string

// SetJSON records v as the JSON value of key.
func (m Meta) SetJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	m[key] = string(b)
	return nil
}

// Sink receives a backup's content. A backup uses either Files (once) or
// Stream (any number of times), not both.
type Sink interface {
	// Files backs up local files and directories (the fs kind).
	Files(ctx context.Context, paths []string, opts FileOptions) error
	// Stream saves everything read from r, to EOF, as one file named name
	// in the snapshot's root (a name unique in the backup, without "/").
	// It returns once r is consumed and its content saved (not yet
	// flushed: the snapshot is committed after Backup returns).
	Stream(ctx context.Context, name string, r io.Reader) error
	// Expect announces how many bytes the backup will likely produce in
	// all, for progress and ETA; a guess is fine.
	Expect(bytes int64)
}

// FileOptions are the settings of a file backup.
type FileOptions struct {
	Excludes      []string
	OneFileSystem bool
}

// Reader reads the content of a snapshot, for a restore.
type Reader interface {
	// List returns the files in the snapshot's root, by name.
	List(ctx context.Context) ([]Entry, error)
	// Open returns the content of one file of the root; arca.ErrNotFound
	// if there is none.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Labels are the snapshot's recorded Meta.
	Labels() map[string]string
}

// Entry is one file of a snapshot's root.
type Entry struct {
	Name string
	Size int64
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	// Summary is a sentence for the task's result ("restored database
	// shop into shop_copy").
	Summary string            `json:"summary"`
	Details map[string]string `json:"details,omitempty"`
	Bytes   int64             `json:"bytes"`
}

// Registry maps kinds to drivers. The edge builds it; it is read-only
// afterwards.
type Registry struct {
	drivers map[arca.SourceKind]Driver
}

// NewRegistry returns a registry of the given drivers.
func NewRegistry(drivers ...Driver) *Registry {
	r := &Registry{drivers: make(map[arca.SourceKind]Driver, len(drivers))}
	for _, d := range drivers {
		r.drivers[d.Kind()] = d
	}
	return r
}

// Driver returns the driver of kind, or an arca.CodeInvalidArgument error
// naming the kinds there are.
func (r *Registry) Driver(kind arca.SourceKind) (Driver, error) {
	if d, ok := r.drivers[kind]; ok {
		return d, nil
	}
	return nil, &arca.Error{Code: arca.CodeInvalidArgument,
		Message: fmt.Sprintf("Unknown source kind %q: use one of %v.", kind, r.Kinds()),
		Fields:  []arca.FieldError{{Field: "kind", Message: "unknown source kind"}}}
}

// Kinds lists the registered kinds, sorted.
func (r *Registry) Kinds() []arca.SourceKind {
	ks := make([]arca.SourceKind, 0, len(r.drivers))
	for k := range r.drivers {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// LocalPaths is implemented by kinds that read or write files of the
// server itself (sqlite), so that the server can hold them to the
// directories it allows (--fs-root for reading, --restore-root for
// restores).
type LocalPaths interface {
	// ReadPaths returns the server files a source with these settings
	// reads.
	ReadPaths(settings json.RawMessage) ([]string, error)
	// WritePaths returns the server files a restore to target writes.
	WritePaths(target json.RawMessage) ([]string, error)
}
