// Package pruner removes snapshots (forget) and collects the data no
// snapshot uses any more (prune), with the two-phase, time-based protocol
// of docs/garbage-collection.md: prune hides unused packs from the index
// and records them in a deletion marker ("gc/<id>"); a later prune deletes
// them once the marker is older than the safety delay and no snapshot has
// come to use them meanwhile. Backups that run at the same time never fail
// and never lose data, and a prune killed at any point leaves a repository
// that checks clean.
//
// Each Prune run first sweeps (handles the markers that are due), then
// marks (hides the packs unused now and repacks partly used ones). Space is
// therefore freed by the first run after the safety delay.
package pruner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
)

// DefaultDelay is how long a marker stands before its packs may be
// deleted, and how old a pack must be to be marked. A day, because a
// backup nobody tracks (an offline run on another host) may have opened the
// repository just before the mark and, on a slow link, run for hours; with
// OldestWriter set, running backups are protected whatever their length.
const DefaultDelay = 24 * time.Hour

// DefaultRepackBelow: a pack whose live bytes are below this share of its
// size is repacked. At 50%, repacking copies at most one byte per byte it
// frees, and no kept pack wastes more than half its size. (At 80% it
// would copy up to four bytes per byte freed.)
const DefaultRepackBelow = 0.5

// Options tune Prune.
type Options struct {
	// DryRun computes and reports the plan but writes and deletes nothing.
	DryRun bool
	// Delay is the safety delay between marking a pack and deleting it,
	// and the minimum age of a pack to be marked (default DefaultDelay).
	Delay time.Duration
	// RepackBelow is the live share under which a pack is repacked
	// (default DefaultRepackBelow; negative disables repacking).
	RepackBelow float64
	// NoRepackSmall keeps small packs as they are. By default packs under
	// a quarter of the target pack size (the tails that every backup's
	// last flush leaves) are repacked together once there are several, so
	// that years of small backups do not leave thousands of tiny objects.
	NoRepackSmall bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OldestWriter, if set, returns the start time of the oldest backup
	// still running on this repository (ok false if none). A marker's
	// packs are then deleted only once every backup that started before
	// the marker has ended, and packs younger than the oldest running
	// backup are not marked. Without it only the delay protects backups.
	OldestWriter func(ctx context.Context) (start time.Time, ok bool, err error)
	// Progress, if set, is called as the prune advances.
	Progress func(Progress)
}

// Progress reports the advance of one phase.
type Progress struct {
	Phase string // "snapshots", "sweep", "repack", "mark"
	Done  int64
	Total int64
	Bytes int64
}

// Report says what a prune did (or, in a dry run, would do).
type Report struct {
	DryRun    bool `json:"dry_run"`
	Snapshots int  `json:"snapshots"`
	LiveBlobs int  `json:"live_blobs"`

	// Sweep (phase 2).
	MarkersDue     int   `json:"markers_due"`
	MarkersPending int   `json:"markers_pending"` // not yet due
	MarkersBlocked int   `json:"markers_blocked"` // due, but an older backup still runs
	PacksDeleted   int   `json:"packs_deleted"`
	BytesFreed     int64 `json:"bytes_freed"`
	PacksKept      int   `json:"packs_kept"`        // marked, but indexed again meanwhile
	PacksResurrect int   `json:"packs_resurrected"` // marked, but a snapshot uses them: indexed again

	// Mark (phase 1).
	PacksMarked     int   `json:"packs_marked"` // unused packs
	BytesMarked     int64 `json:"bytes_marked"`
	PacksUnindexed  int   `json:"packs_unindexed"` // of those: in no index
	PacksRepacked   int   `json:"packs_repacked"`
	BlobsRepacked   int   `json:"blobs_repacked"`
	BytesRepacked   int64 `json:"bytes_repacked"`   // stored bytes of the blobs copied
	BytesReclaim    int64 `json:"bytes_to_reclaim"` // freed by the sweep once due
	IndexesReplaced int   `json:"indexes_replaced"`
	// PacksReindexed were hidden, but a snapshot written during this run
	// uses them: indexed again at once.
	PacksReindexed int      `json:"packs_reindexed"`
	Marker         *repo.ID `json:"marker,omitempty"`
}

// ErrDamaged is returned (wrapped) when prune cannot tell what is used
// because a snapshot or tree does not load, or a used blob is nowhere:
// deleting anything then could destroy data.
var ErrDamaged = arca.Errorf(arca.CodeNotAllowedInState,
	"The repository is damaged, so prune deletes nothing: run check and repair the damage it reports first.")

// Prune runs one sweep and one mark on r (see the package comment). r is
// the caller's open repository; Prune reloads the index as needed.
func Prune(ctx context.Context, r *repo.Repository, opts Options) (*Report, error) {
	if opts.Delay <= 0 {
		opts.Delay = DefaultDelay
	}
	if opts.RepackBelow == 0 {
		opts.RepackBelow = DefaultRepackBelow
	}
	if opts.RepackBelow > 1 {
		return nil, arca.Errorf(arca.CodeInvalidArgument,
			"The repack threshold %g is above 1: give the share of live bytes under which a pack is repacked, between 0 and 1.", opts.RepackBelow)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &pruner{opts: opts, rep: &Report{DryRun: opts.DryRun}}
	due, err := p.dueMarkers(ctx, r)
	if err != nil {
		return nil, err
	}
	// The snapshots and then the index are read after the due markers are
	// chosen (and the writer check), so every backup that may use a due
	// marker's packs has written its snapshot by now.
	if err := p.listSnapshots(ctx, r); err != nil {
		return nil, err
	}
	fresh, err := r.ReopenFresh(ctx)
	if err != nil {
		return nil, fmt.Errorf("reload the index: %w", err)
	}
	defer fresh.Close()
	if err := p.load(ctx, fresh); err != nil {
		return nil, err
	}
	if err := p.sweep(ctx, fresh, due); err != nil {
		return nil, err
	}
	if err := p.mark(ctx, fresh); err != nil {
		return nil, err
	}
	return p.rep, nil
}

type pruner struct {
	opts Options
	rep  *Report
	live map[blobKey]struct{}
	// snaps are the snapshots considered, roots their root trees.
	snaps []repo.ID
	roots []repo.ID
	// sizes are the pack files in the store.
	sizes map[repo.ID]blob.Info
	// pending are the packs of markers not due in this run, claimedIndex
	// those markers' index objects.
	pending      map[repo.ID]bool
	claimedIndex map[repo.ID]bool
	// unindexed are live blobs the index does not know (yet).
	unindexed map[blobKey]bool
	// resurrected are marked packs the sweep indexed again.
	resurrected map[repo.ID]bool
	// swept are the packs the sweep deleted (or would delete).
	swept map[repo.ID]bool
	// byPack are the index entries by pack.
	byPack map[repo.ID][]repo.PackedBlob
	// hidden are the blobs of packs in no index, read when needed.
	hiddenMu sync.Mutex
	hidden   map[blobKey]repo.PackedBlob
	// copies are, per live blob, the packs holding it (sorted).
	copies map[blobKey][]repo.ID
}

type blobKey struct {
	t  repo.BlobType
	id repo.ID
}

func (p *pruner) progress(pr Progress) {
	if p.opts.Progress != nil {
		p.opts.Progress(pr)
	}
}
