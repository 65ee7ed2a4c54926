package pruner

import (
	"context"
	"fmt"
	"sort"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/policy"
)

// ForgetOptions say which snapshots to forget.
type ForgetOptions struct {
	// IDs are forgotten explicitly (copy-only snapshots too).
	IDs []repo.ID
	// Policy, if set, forgets what it does not keep (never copy-only
	// snapshots).
	Policy *policy.Policy
	// Group and time zone for the policy.
	PolicyOptions policy.Options
	// DryRun reports without deleting.
	DryRun bool
}

// ForgetReport says what Forget removed (or would remove) and, per group,
// why the others stay.
type ForgetReport struct {
	DryRun  bool           `json:"dry_run"`
	Removed []repo.ID      `json:"removed"`
	Groups  []policy.Group `json:"groups,omitempty"`
}

// Forget deletes snapshot objects, by id and by policy. Their data stays
// until prune collects it.
func Forget(ctx context.Context, r *repo.Repository, opts ForgetOptions) (*ForgetReport, error) {
	rep := &ForgetReport{DryRun: opts.DryRun}
	remove := map[repo.ID]bool{}
	for _, id := range opts.IDs {
		if _, err := r.LoadSnapshot(ctx, id); err != nil {
			return nil, fmt.Errorf("forget %s: %w", id.Short(), err)
		}
		remove[id] = true
	}
	if opts.Policy != nil {
		var items []policy.Item
		err := r.ListSnapshots(ctx, func(id repo.ID, sn *repo.Snapshot) error {
			items = append(items, policy.Item{ID: id, Snapshot: sn})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list snapshots: %w", err)
		}
		groups, err := policy.Apply(items, *opts.Policy, opts.PolicyOptions)
		if err != nil {
			return nil, err
		}
		rep.Groups = groups
		for _, g := range groups {
			for _, it := range g.Remove {
				remove[it.ID] = true
			}
		}
	}
	for id := range remove {
		if !opts.DryRun {
			if err := r.DeleteSnapshot(ctx, id); err != nil {
				return rep, fmt.Errorf("forget %s: %w", id.Short(), err)
			}
		}
		rep.Removed = append(rep.Removed, id)
	}
	sort.Slice(rep.Removed, func(i, j int) bool { return rep.Removed[i].String() < rep.Removed[j].String() })
	return rep, nil
}
