package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/arcabackup/arca/internal/repo/policy"
	"github.com/arcabackup/arca/internal/serverapi"
)

type serverPruneFlags struct {
	keep   serverapi.Policy
	tags   []string
	source string
	dryRun bool
	start  startFlags
}

func newPruneCmd(m *Main) *cobra.Command {
	var f serverPruneFlags
	cmd := &cobra.Command{
		Use:   "prune REPOSITORY",
		Short: "Forget snapshots by a retention policy and free unused data in a registered repository, as a task",
		Long: "With --keep-* flags, first forget the snapshots of REPOSITORY (id or name) that the policy does not keep\n" +
			"(grouped by source; a snapshot is kept if any rule keeps it; copy-only snapshots are not counted), then\n" +
			"collect the data no snapshot uses. Without them, only collect. --source applies the policy to one source's\n" +
			"snapshots. --dry-run reports what would go and changes nothing. Backups go on beside a prune.\n\n" +
			"For a repository without a server, see arca repo forget and arca repo prune.",
		Example: "  arca prune main --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --wait\n  arca prune main --keep-last 3 --dry-run --wait",
		Args:    args(cobra.ExactArgs(1)),
		RunE:    func(cmd *cobra.Command, a []string) error { return m.serverPrune(cmd.Context(), a[0], cmd.Flags(), f) },
	}
	f.register(cmd.Flags())
	return cmd
}

func (f *serverPruneFlags) register(fl *pflag.FlagSet) {
	fl.IntVar(&f.keep.Last, "keep-last", 0, "keep the last N snapshots")
	fl.IntVar(&f.keep.Hourly, "keep-hourly", 0, "keep the last snapshot of each of the last N hours")
	fl.IntVar(&f.keep.Daily, "keep-daily", 0, "keep the last snapshot of each of the last N days")
	fl.IntVar(&f.keep.Weekly, "keep-weekly", 0, "keep the last snapshot of each of the last N weeks")
	fl.IntVar(&f.keep.Monthly, "keep-monthly", 0, "keep the last snapshot of each of the last N months")
	fl.IntVar(&f.keep.Yearly, "keep-yearly", 0, "keep the last snapshot of each of the last N years")
	fl.StringVar(&f.keep.Within, "keep-within", "", "keep every snapshot this long before the newest (36h, 30d, 2w, 1y)")
	fl.StringArrayVar(&f.tags, "keep-tag", nil, "keep snapshots with all these tags (comma-separated; repeat for alternatives)")
	fl.StringVar(&f.source, "source", "", "apply the policy to this source's snapshots only (id or name)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "report what would be forgotten and freed; change nothing")
	f.start.register(fl)
}

// prunePolicy returns the policy the --keep-* flags give, or nil when none
// is set (collect only).
func prunePolicy(fl *pflag.FlagSet, f serverPruneFlags) (*serverapi.Policy, error) {
	set := false
	fl.Visit(func(fl *pflag.Flag) { set = set || strings.HasPrefix(fl.Name, "keep-") })
	if !set {
		return nil, nil
	}
	p := f.keep
	for _, n := range []int{p.Last, p.Hourly, p.Daily, p.Weekly, p.Monthly, p.Yearly} {
		if n < 0 {
			return nil, usageError{fmt.Errorf("a --keep-* count is negative: give 0 or more")}
		}
	}
	if p.Within != "" {
		if _, err := policy.ParseAge(p.Within); err != nil {
			return nil, usageError{fmt.Errorf("--keep-within: %w", err)}
		}
	}
	if p.Within == "" && len(f.tags) == 0 && p.Last+p.Hourly+p.Daily+p.Weekly+p.Monthly+p.Yearly == 0 {
		return nil, usageError{fmt.Errorf("the --keep-* flags keep nothing: give a positive count, --keep-within or --keep-tag (to only free unused data, give none)")}
	}
	for _, t := range f.tags {
		p.Tags = append(p.Tags, strings.FieldsFunc(t, func(r rune) bool { return r == ',' }))
	}
	return &p, nil
}

func (m *Main) serverPrune(ctx context.Context, ref string, fl *pflag.FlagSet, f serverPruneFlags) error {
	pol, err := prunePolicy(fl, f)
	if err != nil {
		return err
	}
	if f.source != "" && pol == nil {
		return usageError{fmt.Errorf("--source chooses whose snapshots a policy applies to: give --keep-* flags too")}
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	id, err := resolveRepository(ctx, c, ref)
	if err != nil {
		return err
	}
	req := serverapi.PruneRequest{Policy: pol, DryRun: f.dryRun}
	if f.source != "" {
		srcs, err := resolveSources(ctx, c, []string{f.source})
		if err != nil {
			return err
		}
		req.SourceID = srcs[0].ID
	}
	a, err := c.PruneRepository(ctx, id, req, f.start.opts()...)
	if err != nil {
		return err
	}
	return m.started(ctx, c, a, "repository "+ref, f.start)
}
