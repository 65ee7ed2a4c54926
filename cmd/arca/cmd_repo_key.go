package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/repo"
)

func newRepoKeyCmd(o *repoOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage the repository's passwords (key files)",
		Long: "Each key file opens the repository with one password. New passwords come from $ARCA_NEW_PASSWORD, " +
			"--new-password-file, or a prompt asked twice.",
	}
	cmd.AddCommand(newRepoKeyListCmd(o), newRepoKeyAddCmd(o), newRepoKeyRemoveCmd(o), newRepoKeyPasswdCmd(o))
	return cmd
}

func newRepoKeyListCmd(o *repoOptions) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{Use: "list", Short: "List the key files", Args: args(cobra.NoArgs)}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print a JSON array")
	cmd.RunE = o.run(func(ctx context.Context, _ []string) error {
		r, err := o.open(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		keys, err := r.ListKeys(ctx)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		if jsonOut {
			return printJSON(o.m.Stdout, keys)
		}
		tw := tabwriter.NewWriter(o.m.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, " \tID\tCREATED\tHOST\tUSER")
		for _, k := range keys {
			cur := " "
			if k.Current {
				cur = "*"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cur, k.ID, k.Created.Local().Format(time.DateTime), k.Hostname, k.Username)
		}
		return tw.Flush()
	})
	return cmd
}

func newRepoKeyAddCmd(o *repoOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "add", Short: "Add a password", Args: args(cobra.NoArgs)}
	o.newKeyVerb(cmd, "added key %s\n", func(ctx context.Context, r *repo.Repository, pw string) (string, error) {
		return r.AddKey(ctx, pw, o.keyOptions())
	})
	return cmd
}

func newRepoKeyRemoveCmd(o *repoOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "remove KEY-ID", Short: "Remove a password (not the only one)", Args: args(cobra.ExactArgs(1))}
	cmd.RunE = o.run(func(ctx context.Context, a []string) error {
		r, err := o.open(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		if err := r.RemoveKey(ctx, a[0]); err != nil {
			return fmt.Errorf("remove key %s: %w", a[0], err)
		}
		fmt.Fprintf(o.m.Stdout, "removed key %s\n", a[0])
		return nil
	})
	return cmd
}

func newRepoKeyPasswdCmd(o *repoOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "passwd",
		Short: "Change the password: add a key for the new one, then remove the key opened",
		Args:  args(cobra.NoArgs),
	}
	o.newKeyVerb(cmd, "password changed: new key %s\n", func(ctx context.Context, r *repo.Repository, pw string) (string, error) {
		return r.ChangePassword(ctx, pw, o.keyOptions())
	})
	return cmd
}

// newKeyVerb makes cmd open the repository, read a new password (from
// --new-password-file, $ARCA_NEW_PASSWORD or a prompt), call write with it
// and print the new key's id with done.
func (o *repoOptions) newKeyVerb(cmd *cobra.Command, done string,
	write func(ctx context.Context, r *repo.Repository, pw string) (string, error)) {
	var file string
	cmd.Flags().StringVar(&file, "new-password-file", "", "read the new password from this file")
	cmd.RunE = o.run(func(ctx context.Context, _ []string) error {
		r, err := o.open(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		pw, err := o.newPassword(file)
		if err != nil {
			return err
		}
		id, err := write(ctx, r, pw)
		if err != nil {
			return fmt.Errorf("%s: %w", cmd.Name(), err)
		}
		fmt.Fprintf(o.m.Stdout, done, id)
		return nil
	})
}
