package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
)

func newRepoCheckCmd(o *repoOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Verify the repository's structure, and with --read-data all its data",
		Args:  args(cobra.NoArgs),
	}
	cmd.RunE = o.run(func(ctx context.Context, _ []string) error {
		return errors.New("check is not available in this build yet")
	})
	return cmd
}
