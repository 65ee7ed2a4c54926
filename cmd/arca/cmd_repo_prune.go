package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/repo"
)

type pruneFlags struct {
	dryRun      bool
	json        bool
	safetyDelay time.Duration
	repackBelow float64
}

func addPruneFlags(fl *pflag.FlagSet, f *pruneFlags) {
	fl.DurationVar(&f.safetyDelay, "safety-delay", pruner.DefaultDelay,
		"delete unused packs only once marked this long ago (and mark only packs older than this)")
	fl.Float64Var(&f.repackBelow, "repack-below", pruner.DefaultRepackBelow,
		"repack packs whose live share is below this fraction (negative: never)")
}

func newRepoPruneCmd(o *repoOptions) *cobra.Command {
	var f pruneFlags
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Collect the data no snapshot uses any more",
		Long: "Prune works in two phases so that backups running at the same time never lose data: each run first " +
			"deletes the packs a previous run marked at least --safety-delay ago (unless a snapshot uses them again), " +
			"then marks the packs no snapshot uses now and repacks partly used ones. Space is therefore freed by the " +
			"first prune after the safety delay.",
		Args: args(cobra.NoArgs),
	}
	addPruneFlags(cmd.Flags(), &f)
	cmd.Flags().BoolVarP(&f.dryRun, "dry-run", "n", false, "show the plan, change nothing")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON")
	cmd.RunE = o.run(func(ctx context.Context, _ []string) error {
		r, err := o.open(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		return o.prune(ctx, r, f)
	})
	return cmd
}

func (o *repoOptions) prune(ctx context.Context, r *repo.Repository, f pruneFlags) error {
	rep, err := o.runPrune(ctx, r, f)
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(o.m.Stdout, rep)
	}
	o.printPrune(rep, f)
	return nil
}

func (o *repoOptions) runPrune(ctx context.Context, r *repo.Repository, f pruneFlags) (*pruner.Report, error) {
	bar := o.newProgress(ctx, "prune", false)
	opts := pruner.Options{DryRun: f.dryRun, Delay: f.safetyDelay, RepackBelow: f.repackBelow, Now: o.m.Now}
	if bar.enabled() {
		opts.Progress = throttled(bar, func(p pruner.Progress) (int64, int64, string) {
			return p.Done, p.Total, p.Phase
		})
	}
	rep, err := pruner.Prune(ctx, r, opts)
	bar.finish()
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	return rep, nil
}

func (o *repoOptions) printPrune(rep *pruner.Report, f pruneFlags) {
	if o.quiet {
		return
	}
	verb := map[bool]string{true: "would ", false: ""}[f.dryRun]
	fmt.Fprintf(o.m.Stdout, "%d snapshots, %d live blobs\n", rep.Snapshots, rep.LiveBlobs)
	fmt.Fprintf(o.m.Stdout, "sweep: %sdelete %d packs (%s) of %d due markers; %d markers pending, %d blocked\n", verb,
		rep.PacksDeleted, humanBytes(rep.BytesFreed), rep.MarkersDue, rep.MarkersPending, rep.MarkersBlocked)
	fmt.Fprintf(o.m.Stdout, "mark: %smark %d unused packs (%s), repack %d packs (%d blobs, %s); %s to reclaim after %s\n", verb,
		rep.PacksMarked, humanBytes(rep.BytesMarked), rep.PacksRepacked, rep.BlobsRepacked, humanBytes(rep.BytesRepacked),
		humanBytes(rep.BytesReclaim), f.safetyDelay)
}
