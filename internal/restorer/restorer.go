// Package restorer writes snapshot trees back to disk, or streams them as
// tar or zip archives.
//
// A restore creates everything through an os.Root opened on the target
// directory, so no path from a snapshot can escape the target: node names
// with "/", NUL, "." or ".." are refused, files are created with O_EXCL
// (an existing symlink is never followed, it is removed first when the
// overwrite policy allows), and symlinks inside the target are never
// followed out of it. Every blob is verified by the repository as it is
// loaded; a file whose blobs are damaged or missing is removed and named
// in the result's failures, and the rest of the restore goes on.
package restorer

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// Repo is what the restorer needs of a repository (*repo.Repository).
type Repo interface {
	LoadBlob(ctx context.Context, t repo.BlobType, id repo.ID, buf []byte) ([]byte, error)
	LookupBlob(t repo.BlobType, id repo.ID) (repo.PackedBlob, bool)
}

var _ Repo = (*repo.Repository)(nil)

// Overwrite says what to do with a path that already exists in the target.
type Overwrite int

const (
	// OverwriteNever keeps every existing file (the safe default).
	OverwriteNever Overwrite = iota
	// OverwriteIfChanged replaces a file unless it has the snapshot's size
	// and modification time.
	OverwriteIfChanged
	// OverwriteAlways replaces every existing file.
	OverwriteAlways
)

// ParseOverwrite parses "never", "if-changed" or "always".
func ParseOverwrite(s string) (Overwrite, error) {
	switch s {
	case "never", "":
		return OverwriteNever, nil
	case "if-changed":
		return OverwriteIfChanged, nil
	case "always":
		return OverwriteAlways, nil
	}
	return 0, fmt.Errorf("unknown overwrite policy %q (want never, if-changed or always)", s)
}

// Options tune a restore.
type Options struct {
	// Path selects a subtree: a slash-separated path inside the tree. A
	// directory's content is restored into the target (and a target the
	// restore creates takes the directory's own metadata); a file is
	// restored into the target under its name. Empty means the whole tree.
	Path      string
	Overwrite Overwrite
	// NoOwner skips restoring owners. Owners are restored only when
	// running as root.
	NoOwner bool
	// NoXattrs skips extended attributes.
	NoXattrs bool
	// Workers is how many files are written at once (default 2×GOMAXPROCS,
	// at least 4).
	Workers int
	// Progress, when set, is called from one goroutine every
	// ProgressInterval (default 250ms) and once at the end.
	Progress         func(Progress)
	ProgressInterval time.Duration
}

// Progress is a point-in-time view of a restore. The totals grow while the
// trees are walked, until TotalsFinal.
type Progress struct {
	Phase       string // PhaseFiles, PhaseLinks, PhaseMetadata, then PhaseDone
	FilesDone   uint64
	FilesTotal  uint64
	BytesDone   uint64
	BytesTotal  uint64
	TotalsFinal bool
	Failures    uint64
	Elapsed     time.Duration
}

// The phases of a restore, in order.
const (
	PhaseFiles    = "files"    // walking trees, writing files and special files
	PhaseLinks    = "links"    // making further hard links
	PhaseMetadata = "metadata" // setting directories' modes, owners and times
	PhaseDone     = "done"
)

// Failure names one path that could not be restored (or was refused).
type Failure struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String returns "path: message".
func (f Failure) String() string { return f.Path + ": " + f.Message }

// Result says what a restore did.
type Result struct {
	Files   uint64 `json:"files"`   // regular files written
	Dirs    uint64 `json:"dirs"`    // directories created or reused
	Links   uint64 `json:"links"`   // hard links made
	Others  uint64 `json:"others"`  // symlinks, devices, FIFOs, sockets
	Skipped uint64 `json:"skipped"` // existing entries kept by the overwrite policy
	Bytes   uint64 `json:"bytes"`   // file bytes written or kept as holes
	// Failures lists the first maxFailures failed paths; FailureCount
	// counts them all.
	Failures     []Failure `json:"failures,omitempty"`
	FailureCount uint64    `json:"failure_count"`
}

// maxFailures bounds the failures a Result lists.
const maxFailures = 1000

// Restorer restores from one repository.
type Restorer struct {
	repo Repo
}

// New returns a Restorer reading from r.
func New(r Repo) *Restorer { return &Restorer{repo: r} }

func (o *Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return max(4, 2*runtime.GOMAXPROCS(0))
}

// report collects failures; safe for concurrent use.
type report struct {
	mu  sync.Mutex
	res Result
}

func (r *report) fail(path string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.FailureCount++
	if len(r.res.Failures) < maxFailures {
		r.res.Failures = append(r.res.Failures, Failure{Path: path, Message: err.Error()})
	}
}

func (r *report) add(f func(*Result)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.res)
}

// loadTree loads and decodes one tree blob.
func loadTree(ctx context.Context, r Repo, id tree.ID) (*tree.Tree, error) {
	data, err := r.LoadBlob(ctx, repo.TreeBlob, id, nil)
	if err != nil {
		return nil, fmt.Errorf("load tree %v: %w", repo.ID(id).Short(), err)
	}
	return tree.Decode(data)
}

// resolve walks path (slash-separated) from the tree root and returns the
// node it names, or nil for the root itself.
func resolve(ctx context.Context, r Repo, root tree.ID, path string) (*tree.Node, error) {
	var node *tree.Node
	cur := root
	for _, name := range splitPath(path) {
		if node != nil {
			if node.Type != tree.TypeDir || node.Subtree == nil {
				return nil, fmt.Errorf("path %q: %q is not a directory", path, node.Name)
			}
			cur = *node.Subtree
		}
		t, err := loadTree(ctx, r, cur)
		if err != nil {
			return nil, err
		}
		if node = t.Find(name); node == nil {
			return nil, fmt.Errorf("path %q: %q: %w", path, name, os.ErrNotExist)
		}
	}
	return node, nil
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if i > start {
				out = append(out, p[start:i])
			}
			start = i + 1
		}
	}
	return out
}
