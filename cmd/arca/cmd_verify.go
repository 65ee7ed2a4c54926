package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/serverapi"
)

func newVerifyCmd(m *Main) *cobra.Command {
	var percent float64
	var f startFlags
	cmd := &cobra.Command{
		Use:   "verify REPOSITORY",
		Short: "Verify a registered repository on the server, as a task",
		Long: "Check the structure of REPOSITORY (id or name): every pack, index entry, snapshot and tree present and\n" +
			"readable; with --read-data-percent also decrypt and verify that share of the data. With --wait the exit code\n" +
			"says how it ended (3 when the task failed, for example on damage found).\n\n" +
			"To check a repository without a server, see arca repo check.",
		Example: "  arca verify main --read-data-percent 10 --wait",
		Args:    args(cobra.ExactArgs(1)),
		RunE:    func(cmd *cobra.Command, a []string) error { return m.verify(cmd.Context(), a[0], percent, f) },
	}
	cmd.Flags().Float64Var(&percent, "read-data-percent", 0, "share of the data (0-100) to read and verify in full")
	f.register(cmd.Flags())
	return cmd
}

func (m *Main) verify(ctx context.Context, ref string, percent float64, f startFlags) error {
	if percent < 0 || percent > 100 {
		return usageError{fmt.Errorf("--read-data-percent %v: give a number from 0 to 100", percent)}
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	id, err := resolveRepository(ctx, c, ref)
	if err != nil {
		return err
	}
	a, err := c.VerifyRepository(ctx, id, serverapi.VerifyRequest{ReadDataPercent: percent}, f.opts()...)
	if err != nil {
		return err
	}
	return m.started(ctx, c, a, "repository "+ref, f)
}
