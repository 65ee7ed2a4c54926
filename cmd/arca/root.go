package main

import (
	"github.com/spf13/cobra"
)

// newRoot builds the command tree. Each verb lives in its own file as a
// constructor func(*Main) *cobra.Command, listed here explicitly (no
// init()): to add a verb, write cmd_<verb>.go and add its constructor.
func (m *Main) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "arca",
		Short:         "Arca: self-hosted, encrypted, deduplicated backups",
		Long:          "Arca runs backups as asynchronous tasks. `arca server` runs the server; the other commands talk to it (after `arca login`).",
		SilenceErrors: true, // main prints errors once, with their exit code
		SilenceUsage:  true,
		Version:       m.Version,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	verbs := []func(*Main) *cobra.Command{
		newServerCmd,
		newLoginCmd,
		newLogoutCmd,
		newTenantCmd,
		newUserCmd,
		newTokenCmd,
		newTaskCmd,
		newSelftestCmd,
		newRepoCmd,
		newRepositoryCmd,
		newSourceCmd,
		newBackupCmd,
		newSnapshotCmd,
		newRestoreCmd,
		newVerifyCmd,
		newPruneCmd,
	}
	for _, v := range verbs {
		root.AddCommand(v(m))
	}
	return root
}

// args wraps a cobra argument check so that its failure is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}
