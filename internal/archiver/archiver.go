// Package archiver backs up local files into a repository: it walks the
// given paths, reads and chunks files, saves the chunks and one tree per
// directory as blobs, and finally saves a snapshot.
//
// The pipeline (walk → read+chunk → save) runs in parallel with bounded
// memory: a listing goroutine lists directories and lstats entries ahead of
// a walker goroutine that compares them with the parent snapshot, file
// workers read and chunk files, savers hash, compress, encrypt and pack
// chunks (inside the repository's SaveBlob), and every directory's tree is
// saved as soon as all its entries are done. Chunks waiting to be saved are
// bounded in bytes, so a large file is never held in memory.
//
// A file that vanishes or cannot be read is a warning in the result, never
// a failed snapshot. A cancelled context leaves no snapshot: the snapshot
// is saved only after the repository's Flush succeeded.
package archiver

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/arcabackup/arca/internal/repo"
)

// Repo is what the archiver needs of a repository (*repo.Repository).
type Repo interface {
	SaveBlob(ctx context.Context, t repo.BlobType, plaintext []byte) (repo.ID, bool, error)
	LoadBlob(ctx context.Context, t repo.BlobType, id repo.ID, buf []byte) ([]byte, error)
	HasBlob(t repo.BlobType, id repo.ID) bool
	NewChunker(rd io.Reader) repo.Chunker
	Flush(ctx context.Context) error
	SaveSnapshot(ctx context.Context, sn *repo.Snapshot) (repo.ID, error)
	LoadSnapshot(ctx context.Context, id repo.ID) (*repo.Snapshot, error)
	Stats() repo.SaveStats
}

var _ Repo = (*repo.Repository)(nil)

// Options tune an Archiver. Zero values mean the defaults.
type Options struct {
	// Readers is how many files are read at once (default 2×GOMAXPROCS,
	// at least 4).
	Readers int
	// Savers is how many chunks are saved at once (default GOMAXPROCS); it
	// also bounds the chunkers (each holds twice the largest chunk).
	Savers int
	// MaxInFlight bounds the bytes of chunks read but not yet saved
	// (default 16 MiB).
	MaxInFlight int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Archiver backs up files into one repository. It is safe to run several
// snapshots at once.
type Archiver struct {
	repo Repo
	opts Options
	// prefetchMin is the smallest file a first backup reads early
	// (prefetchMin; tests lower it).
	prefetchMin int64
	// testHookOpen, set by tests only, runs before a file is opened;
	// testHookPrefetched after the prefetcher has read a file.
	testHookOpen       func(path string)
	testHookPrefetched func(path string)
}

// New returns an Archiver writing into r.
func New(r Repo, opts Options) *Archiver {
	procs := runtime.GOMAXPROCS(0)
	if opts.Readers <= 0 {
		opts.Readers = max(4, 2*procs)
	}
	if opts.Savers <= 0 {
		opts.Savers = procs
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 16 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Archiver{repo: r, opts: opts, prefetchMin: prefetchMin}
}

// SnapshotOptions describe one backup.
type SnapshotOptions struct {
	// Excludes and Includes are gitignore-like patterns (see Matcher). With
	// Includes, only files matching one (or inside a matching directory)
	// are saved, with the directories leading to them.
	Excludes []string
	Includes []string
	// OneFileSystem does not descend into directories on another file
	// system than their backup path: such mount points are saved empty.
	OneFileSystem bool
	// Parent is the snapshot to compare with: a file whose path, size,
	// mtime, ctime and inode are unchanged is not read again.
	Parent *repo.ID
	// NoXattrs skips extended attributes.
	NoXattrs bool
	// NoScan skips the concurrent pre-scan that computes the totals.
	NoScan bool
	// Progress, when set, is called from one goroutine every
	// ProgressInterval (default 250ms) and once at the end.
	Progress         func(Progress)
	ProgressInterval time.Duration
	// Listing, if set, is a listing of the same paths started earlier with
	// StartListing, to overlap the file-system work with opening the
	// repository; Snapshot takes it over and stops it.
	Listing *Listing
	// Template gives the snapshot's descriptive fields (Hostname,
	// Username, Tags, Source, SourceKind, CopyOnly, Labels,
	// ProgramVersion); the archiver fills in the rest.
	Template repo.Snapshot
}

// Warning is a problem with one path that did not fail the backup.
type Warning struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String returns "path: message".
func (w Warning) String() string { return fmt.Sprintf("%s: %s", w.Path, w.Message) }

// Result is the outcome of a backup.
type Result struct {
	ID       repo.ID
	Snapshot *repo.Snapshot
	// Warnings lists the first maxWarnings problems; Snapshot.Stats.Warnings
	// counts them all.
	Warnings []Warning
}

// maxWarnings bounds the warnings a Result lists.
const maxWarnings = 1000
