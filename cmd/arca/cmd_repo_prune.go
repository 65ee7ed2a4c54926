package main

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/arcabackup/arca/internal/repo"
)

type pruneFlags struct {
	dryRun      bool
	json        bool
	safetyDelay time.Duration
	repackBelow float64
}

func addPruneFlags(fl *pflag.FlagSet, f *pruneFlags) {
	fl.DurationVar(&f.safetyDelay, "safety-delay", 0, "delete unused packs only after they were marked at least this long ago (default: the pruner's)")
	fl.Float64Var(&f.repackBelow, "repack-below", 0, "repack packs whose used share is below this fraction (default: the pruner's)")
}

func newRepoPruneCmd(o *repoOptions) *cobra.Command {
	var f pruneFlags
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Collect the data no snapshot uses any more",
		Args:  args(cobra.NoArgs),
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
	return errors.New("prune is not available in this build yet")
}
