package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/policy"
)

type forgetFlags struct {
	keep         policy.Policy
	within       string
	tags         []string
	dryRun, json bool
	prune        bool
	pruneFlags   pruneFlags
}

func newRepoForgetCmd(o *repoOptions) *cobra.Command {
	var f forgetFlags
	cmd := &cobra.Command{
		Use:   "forget [SNAPSHOT...] [--keep-…]",
		Short: "Remove snapshots by id or by a retention policy",
		Long: "Remove the named snapshots and those a retention policy does not keep (snapshots are grouped by source, " +
			"or by host and paths; a snapshot is kept if any rule keeps it). Data stays until `arca repo prune` " +
			"(or --prune) collects it. --dry-run shows the plan and changes nothing.",
		Args: args(cobra.ArbitraryArgs),
	}
	fl := cmd.Flags()
	fl.IntVar(&f.keep.Last, "keep-last", 0, "keep the N newest snapshots (-1: all)")
	fl.IntVar(&f.keep.Hourly, "keep-hourly", 0, "keep the newest snapshot of each of the N newest hours")
	fl.IntVar(&f.keep.Daily, "keep-daily", 0, "… days")
	fl.IntVar(&f.keep.Weekly, "keep-weekly", 0, "… weeks")
	fl.IntVar(&f.keep.Monthly, "keep-monthly", 0, "… months")
	fl.IntVar(&f.keep.Yearly, "keep-yearly", 0, "… years")
	fl.StringVar(&f.within, "keep-within", "", "keep snapshots younger than this before the newest of their group (such as 30d, 2w, 36h)")
	fl.StringArrayVar(&f.tags, "keep-tag", nil, "keep snapshots with all these comma-separated tags (repeatable)")
	fl.BoolVarP(&f.dryRun, "dry-run", "n", false, "show what would be removed, remove nothing")
	fl.BoolVar(&f.json, "json", false, "print the plan as JSON")
	fl.BoolVar(&f.prune, "prune", false, "prune the repository afterwards")
	addPruneFlags(fl, &f.pruneFlags)
	cmd.RunE = o.run(func(ctx context.Context, ids []string) error { return o.forget(ctx, ids, f) })
	return cmd
}

// forgetPlan is what `forget --json` prints.
type forgetPlan struct {
	Groups  []forgetGroup `json:"groups,omitempty"`
	Remove  []repo.ID     `json:"remove"`
	DryRun  bool          `json:"dry_run"`
	Removed int           `json:"removed"`
	// Prune is the report of --prune.
	Prune *pruner.Report `json:"prune,omitempty"`
}

type forgetGroup struct {
	Key    string       `json:"key"`
	Keep   []forgetKept `json:"keep"`
	Remove []repo.ID    `json:"remove"`
}

type forgetKept struct {
	ID      repo.ID   `json:"id"`
	Time    time.Time `json:"time"`
	Reasons []string  `json:"reasons"`
}

func (o *repoOptions) forget(ctx context.Context, args []string, f forgetFlags) error {
	if err := f.parsePolicy(); err != nil {
		return err
	}
	if len(args) == 0 && f.keep.IsEmpty() {
		return usageError{errors.New("give snapshot ids, --keep-* rules, or both")}
	}
	r, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	opts := pruner.ForgetOptions{DryRun: f.dryRun}
	for _, s := range args {
		id, _, err := findSnapshot(ctx, r, s)
		if err != nil {
			return err
		}
		opts.IDs = append(opts.IDs, id)
	}
	if !f.keep.IsEmpty() {
		opts.Policy = &f.keep
	}
	rep, err := pruner.Forget(ctx, r, opts)
	if err != nil {
		return err
	}
	plan := newForgetPlan(rep)
	if f.prune && !f.dryRun {
		if plan.Prune, err = o.runPrune(ctx, r, f.pruneFlags); err != nil {
			return err
		}
	}
	if err := o.printForget(plan, f.json); err != nil {
		return err
	}
	if plan.Prune != nil && !f.json {
		o.printPrune(plan.Prune, f.pruneFlags)
	}
	return nil
}

// newForgetPlan condenses a forget report for printing.
func newForgetPlan(rep *pruner.ForgetReport) *forgetPlan {
	plan := &forgetPlan{Remove: rep.Removed, DryRun: rep.DryRun}
	if plan.Remove == nil {
		plan.Remove = []repo.ID{}
	}
	if !rep.DryRun {
		plan.Removed = len(rep.Removed)
	}
	for _, g := range rep.Groups {
		fg := forgetGroup{Key: g.Key, Keep: []forgetKept{}, Remove: []repo.ID{}}
		for _, k := range g.Keep {
			fg.Keep = append(fg.Keep, forgetKept{ID: k.ID, Time: k.Snapshot.Time, Reasons: k.Reasons})
		}
		for _, it := range g.Remove {
			fg.Remove = append(fg.Remove, it.ID)
		}
		plan.Groups = append(plan.Groups, fg)
	}
	return plan
}

func (o *repoOptions) printForget(plan *forgetPlan, jsonOut bool) error {
	if jsonOut {
		return printJSON(o.m.Stdout, plan)
	}
	if o.quiet {
		return nil
	}
	for _, g := range plan.Groups {
		fmt.Fprintf(o.m.Stdout, "%s:\n", g.Key)
		for _, k := range g.Keep {
			fmt.Fprintf(o.m.Stdout, "  keep   %s  %s  (%s)\n", k.ID.Short(), k.Time.Local().Format(time.DateTime), strings.Join(k.Reasons, ", "))
		}
		for _, id := range g.Remove {
			fmt.Fprintf(o.m.Stdout, "  remove %s\n", id.Short())
		}
	}
	verb := "removed"
	if plan.DryRun {
		verb = "would remove"
	}
	fmt.Fprintf(o.m.Stdout, "%s %d snapshot(s)\n", verb, len(plan.Remove))
	return nil
}

func (f *forgetFlags) parsePolicy() error {
	if f.within != "" {
		d, err := parseAge(f.within)
		if err != nil {
			return usageError{fmt.Errorf("--keep-within: %w", err)}
		}
		f.keep.Within = d
	}
	for _, t := range f.tags {
		f.keep.Tags = append(f.keep.Tags, strings.Split(t, ","))
	}
	if f.keep.IsEmpty() {
		return nil
	}
	if err := f.keep.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}

// parseAge parses a Go duration or a sum of days-based units: 1y (365
// days), 2w, 30d, 12h, as in "1y2w3d".
func parseAge(s string) (time.Duration, error) { return policy.ParseAge(s) }
