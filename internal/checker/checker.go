// Package checker verifies a repository: its structure (every snapshot's
// trees load, every blob they reference is in the index, every pack the
// index names exists with the right size and a header that agrees with the
// index) and, on request, its data (every blob of all or some packs is read,
// decrypted, decompressed and hashed). The Report names each damaged or
// missing pack and blob and, per snapshot, each affected file.
package checker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
)

// Repo is what the checker needs of a repository; *repo.Repository
// implements it.
type Repo interface {
	Store() blob.Store
	ListSnapshotIDs(ctx context.Context) ([]repo.ID, error)
	LoadSnapshot(ctx context.Context, id repo.ID) (*repo.Snapshot, error)
	LoadBlob(ctx context.Context, t repo.BlobType, id repo.ID, buf []byte) ([]byte, error)
	HasBlob(t repo.BlobType, id repo.ID) bool
	EachBlob(fn func(repo.PackedBlob) error) error
	ListPacks(ctx context.Context, fn func(id repo.ID, size int64) error) error
	LoadPackHeader(ctx context.Context, id repo.ID) ([]repo.PackedBlob, error)
	VerifyPack(ctx context.Context, id repo.ID, blobs []repo.PackedBlob, fn func(repo.PackedBlob, error)) (int64, error)
}

var _ Repo = (*repo.Repository)(nil)

// Subset selects the packs whose data is read: group N of M (1 ≤ N ≤ M),
// by the packs' ids, so that M runs with N = 1…M read every pack once.
type Subset struct {
	N, M int
}

// Options tune Check. The zero value checks the structure only.
type Options struct {
	// ReadData reads and verifies every blob of every pack.
	ReadData bool
	// ReadDataPercent, if > 0, reads a random share of the packs instead
	// (at least one pack).
	ReadDataPercent float64
	// ReadDataSubset, if M > 0, reads group N of M of the packs.
	ReadDataSubset Subset
	// Rand picks the random share (default: randomly seeded).
	Rand *rand.Rand
	// Connections bounds parallel reads (default the store's Connections()).
	Connections int
	// Progress, if set, is called as the check advances, never from two
	// goroutines at once.
	Progress func(Progress)
}

// Progress reports the advance of one phase of a check.
type Progress struct {
	Phase string // "index", "packs", "snapshots", "read-data", "affected"
	Done  int64  // items done in this phase
	Total int64  // items in this phase (0 when unknown)
	Bytes int64  // bytes read in this phase
}

func (o *Options) validate() error {
	switch s := o.ReadDataSubset; {
	case s.M < 0 || s.M > 0 && (s.N < 1 || s.N > s.M):
		return fmt.Errorf("read-data subset %d/%d: want n/m with 1 ≤ n ≤ m", s.N, s.M)
	case o.ReadDataPercent < 0 || o.ReadDataPercent > 100:
		return fmt.Errorf("read-data percentage %g: want a value in (0, 100]", o.ReadDataPercent)
	}
	return nil
}

// checker holds the state of one Check.
type checker struct {
	r     Repo
	opts  Options
	conns int

	mu     sync.Mutex // guards report and the sets below
	report Report
	// packs maps every pack the index names to its index entries.
	packs map[repo.ID][]repo.PackedBlob
	// sizes of pack files in the store.
	sizes map[repo.ID]int64
	// forceRead are packs whose structure is damaged: always read.
	forceRead map[repo.ID]bool
	// badEntries are bad copies of blobs, with why.
	badEntries map[entryKey]string
	// bad holds blobs that cannot be read intact (no good copy, missing
	// from the index, or a tree that does not decode), with why.
	bad map[blobKey]string
	// referenced counts the distinct data blobs trees reference.
	referenced map[repo.ID]struct{}
	snapshots  []snap
	// treeErrs are trees that failed to load or decode.
	treeErrs []BlobProblem

	progMu sync.Mutex
}

type blobKey struct {
	t  repo.BlobType
	id repo.ID
}

// Check verifies r and returns the report. The error is for a check that
// could not run to the end (a canceled context, an unreachable store); the
// problems found are in the report.
func Check(ctx context.Context, r Repo, opts Options) (*Report, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	c := &checker{r: r, opts: opts, conns: opts.Connections, bad: map[blobKey]string{}}
	if c.conns <= 0 {
		c.conns = max(r.Store().Connections(), 1)
	}
	steps := []func(context.Context) error{c.loadIndex, c.checkPacks, c.checkSnapshots, c.readData, c.findAffected}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	c.report.sort()
	return &c.report, nil
}

func (c *checker) progress(p Progress) {
	if c.opts.Progress == nil {
		return
	}
	c.progMu.Lock()
	defer c.progMu.Unlock()
	c.opts.Progress(p)
}

func (c *checker) addError(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.report.Errors = append(c.report.Errors, fmt.Sprintf(format, args...))
}

type snap struct {
	id repo.ID
	sn *repo.Snapshot
}

// markBad records a blob that cannot be read intact.
func (c *checker) markBad(t repo.BlobType, id repo.ID, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.bad[blobKey{t, id}]; !ok {
		c.bad[blobKey{t, id}] = why
	}
}

// loadIndex groups the index's entries by pack.
func (c *checker) loadIndex(ctx context.Context) error {
	c.packs = map[repo.ID][]repo.PackedBlob{}
	n := int64(0)
	// Two index objects may name one pack (a backup's and a re-index by
	// prune): count each stored blob once.
	seen := map[repo.PackedBlob]bool{}
	err := c.r.EachBlob(func(pb repo.PackedBlob) error {
		if seen[pb] {
			return nil
		}
		seen[pb] = true
		c.packs[pb.Pack] = append(c.packs[pb.Pack], pb)
		n++
		if n%65536 == 0 {
			c.progress(Progress{Phase: "index", Done: n})
			return ctx.Err()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the index: %w", err)
	}
	c.report.Packs = len(c.packs)
	c.progress(Progress{Phase: "index", Done: n, Total: n})
	return nil
}
