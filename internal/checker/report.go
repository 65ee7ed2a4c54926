package checker

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/repo"
)

// Report is the outcome of a check. Problems are listed precisely: each
// damaged or missing pack, each damaged or missing blob, and for each
// snapshot the files and directories whose content is affected.
type Report struct {
	Snapshots int   // snapshots checked
	Trees     int   // distinct tree blobs loaded
	DataBlobs int   // distinct data blobs referenced
	Packs     int   // packs named by the index
	PacksRead int   // packs whose blobs were read and verified
	BytesRead int64 // bytes read to verify them

	// MissingPacks are named by the index but absent from the store.
	MissingPacks []PackProblem `json:"missing_packs,omitempty"`
	// DamagedPacks exist but are damaged: wrong size, unreadable header,
	// header and index disagreeing, or blobs failing verification.
	DamagedPacks []PackProblem `json:"damaged_packs,omitempty"`
	// UnindexedPacks are in the store but named by no index: hidden by
	// prune and awaiting deletion, left by an interrupted backup, or being
	// written by one that is still running. Not an error; prune collects
	// them.
	UnindexedPacks []repo.ID `json:"unindexed_packs,omitempty"`
	// DamagedBlobs failed verification (decryption, decompression or
	// hash), or sit in a pack that is missing.
	DamagedBlobs []BlobProblem `json:"damaged_blobs,omitempty"`
	// MissingBlobs are referenced by a tree (or a snapshot) but unknown to
	// the index.
	MissingBlobs []BlobProblem `json:"missing_blobs,omitempty"`
	// Snapshots with problems, and what in them is affected.
	Affected []AffectedSnapshot `json:"affected,omitempty"`
	// Errors that are none of the above (an unreadable snapshot object, an
	// index object that does not decrypt, ...).
	Errors []string `json:"errors,omitempty"`
}

// PackProblem names one pack and what is wrong with it.
type PackProblem struct {
	Pack    repo.ID `json:"pack"`
	Problem string  `json:"problem"`
}

// BlobProblem names one blob and what is wrong with it.
type BlobProblem struct {
	Type    repo.BlobType `json:"type"`
	ID      repo.ID       `json:"id"`
	Pack    repo.ID       `json:"pack,omitzero"`
	Problem string        `json:"problem"`
}

// AffectedSnapshot lists what of one snapshot cannot be restored intact.
type AffectedSnapshot struct {
	Snapshot repo.ID   `json:"snapshot"`
	Time     time.Time `json:"time"`
	// Files whose content has a damaged or missing data blob.
	Files []string `json:"files,omitempty"`
	// Dirs whose tree blob is damaged or missing: nothing below them can
	// be listed ("/" for the root).
	Dirs []string `json:"dirs,omitempty"`
}

// OK reports whether the check found no problem. Unindexed packs are not
// problems.
func (r *Report) OK() bool {
	return len(r.MissingPacks) == 0 && len(r.DamagedPacks) == 0 && len(r.DamagedBlobs) == 0 &&
		len(r.MissingBlobs) == 0 && len(r.Affected) == 0 && len(r.Errors) == 0
}

// String summarises the report in a few lines for humans.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d snapshots, %d trees, %d data blobs, %d packs (%d read, %d bytes)\n",
		r.Snapshots, r.Trees, r.DataBlobs, r.Packs, r.PacksRead, r.BytesRead)
	for _, p := range r.MissingPacks {
		fmt.Fprintf(&b, "missing pack %s: %s\n", p.Pack, p.Problem)
	}
	for _, p := range r.DamagedPacks {
		fmt.Fprintf(&b, "damaged pack %s: %s\n", p.Pack, p.Problem)
	}
	for _, bp := range r.DamagedBlobs {
		fmt.Fprintf(&b, "damaged %s blob %s in pack %s: %s\n", bp.Type, bp.ID, bp.Pack.Short(), bp.Problem)
	}
	for _, bp := range r.MissingBlobs {
		fmt.Fprintf(&b, "missing %s blob %s: %s\n", bp.Type, bp.ID, bp.Problem)
	}
	for _, a := range r.Affected {
		fmt.Fprintf(&b, "snapshot %s (%s): %d files and %d directories affected\n",
			a.Snapshot.Short(), a.Time.Format(time.RFC3339), len(a.Files), len(a.Dirs))
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	if r.OK() {
		b.WriteString("no errors were found\n")
	}
	return b.String()
}

// sort puts every list in a stable order.
func (r *Report) sort() {
	byPack := func(l []PackProblem) {
		sort.Slice(l, func(i, j int) bool { return lessID(l[i].Pack, l[j].Pack) })
	}
	byBlob := func(l []BlobProblem) {
		sort.Slice(l, func(i, j int) bool {
			if l[i].ID != l[j].ID {
				return lessID(l[i].ID, l[j].ID)
			}
			return l[i].Type < l[j].Type
		})
	}
	byPack(r.MissingPacks)
	byPack(r.DamagedPacks)
	byBlob(r.DamagedBlobs)
	byBlob(r.MissingBlobs)
	sort.Slice(r.UnindexedPacks, func(i, j int) bool { return lessID(r.UnindexedPacks[i], r.UnindexedPacks[j]) })
	sort.Slice(r.Affected, func(i, j int) bool {
		if !r.Affected[i].Time.Equal(r.Affected[j].Time) {
			return r.Affected[i].Time.Before(r.Affected[j].Time)
		}
		return lessID(r.Affected[i].Snapshot, r.Affected[j].Snapshot)
	})
	for i := range r.Affected {
		sort.Strings(r.Affected[i].Files)
		sort.Strings(r.Affected[i].Dirs)
	}
	sort.Strings(r.Errors)
}

func lessID(a, b repo.ID) bool { return string(a[:]) < string(b[:]) }
