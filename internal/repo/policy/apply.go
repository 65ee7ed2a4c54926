package policy

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/repo"
)

// Item is one snapshot handed to Apply.
type Item struct {
	ID       repo.ID
	Snapshot *repo.Snapshot
}

// Kept is a snapshot the policy keeps, with the reasons it is kept (such
// as "last", "daily", "oldest monthly", "within 720h0m0s", "tag db,prod").
type Kept struct {
	Item
	Reasons []string
}

// Group is the decision for one group of snapshots. Every list is sorted
// newest first.
type Group struct {
	Key    string
	Keep   []Kept
	Remove []Item
	// CopyOnly snapshots are outside the policy: neither counted nor
	// removed.
	CopyOnly []Item
}

// Options tune Apply.
type Options struct {
	// GroupBy names the group of a snapshot (default GroupKey).
	GroupBy func(*repo.Snapshot) string
	// Location is the time zone in which hours, days, weeks, months and
	// years begin (default: the zone recorded in each snapshot's time).
	Location *time.Location
}

// GroupKey is the default grouping: by Source when the snapshot has one,
// otherwise by host name and the sorted set of backed-up paths.
func GroupKey(sn *repo.Snapshot) string {
	if sn.Source != "" {
		return "source " + sn.Source
	}
	paths := slices.Clone(sn.Paths)
	sort.Strings(paths)
	return "host " + sn.Hostname + " paths " + strings.Join(paths, ",")
}

// Apply groups items and applies p to each group. Groups come back sorted
// by key. It refuses an invalid or empty policy.
func Apply(items []Item, p Policy, opts Options) ([]Group, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	groupBy := opts.GroupBy
	if groupBy == nil {
		groupBy = GroupKey
	}
	byKey := map[string][]Item{}
	for _, it := range items {
		k := groupBy(it.Snapshot)
		byKey[k] = append(byKey[k], it)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	groups := make([]Group, 0, len(keys))
	for _, k := range keys {
		g := applyGroup(byKey[k], p, opts.Location)
		g.Key = k
		groups = append(groups, g)
	}
	return groups, nil
}

// Parent returns the newest snapshot of items whose group (by groupBy,
// default GroupKey) is key and that may serve as the parent of a new
// backup: copy-only snapshots never do.
func Parent(items []Item, key string, groupBy func(*repo.Snapshot) string) (Item, bool) {
	if groupBy == nil {
		groupBy = GroupKey
	}
	var best Item
	found := false
	for _, it := range items {
		if it.Snapshot.CopyOnly || groupBy(it.Snapshot) != key {
			continue
		}
		if !found || newer(it, best) {
			best, found = it, true
		}
	}
	return best, found
}

// newer orders snapshots newest first; equal times fall back to the id so
// that the order is total and Apply deterministic.
func newer(a, b Item) bool {
	if !a.Snapshot.Time.Equal(b.Snapshot.Time) {
		return a.Snapshot.Time.After(b.Snapshot.Time)
	}
	return bytes.Compare(a.ID[:], b.ID[:]) < 0
}

func sortNewestFirst(items []Item) {
	sort.Slice(items, func(i, j int) bool { return newer(items[i], items[j]) })
}
