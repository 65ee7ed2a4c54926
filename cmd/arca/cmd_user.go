package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

func newUserCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add, list, change and remove users (tenant admins)"}
	cmd.AddCommand(m.userAddCmd(), m.userLsCmd(), m.userSetCmd(), m.userRmCmd())
	return cmd
}

type userFlags struct {
	tenant       string
	roles        []string
	passwordFile string
}

// newPassword reads a new password: from --password-file, ARCA_NEW_PASSWORD,
// or a hidden prompt. It is never echoed or logged.
func (m *Main) newPassword(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usageError{fmt.Errorf("--password-file: %w", err)}
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if p := m.Getenv("ARCA_NEW_PASSWORD"); p != "" {
		return p, nil
	}
	return m.prompt(bufio.NewReader(m.Stdin), "New password (at least 12 characters): ", true)
}

func (m *Main) userAddCmd() *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use: "add USERNAME", Short: "Create a user (the password comes from a prompt, --password-file or ARCA_NEW_PASSWORD)",
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			pw, err := m.newPassword(f.passwordFile)
			if err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), serverapi.UserCreate{Tenant: f.tenant, Username: a[0], Password: pw, Roles: f.roles})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "User %s (%s) created in tenant %s with roles %s.\n", u.Username, u.ID, u.Tenant, strings.Join(u.Roles, ","))
			return nil
		},
	}
	cmd.Flags().StringVar(&f.tenant, "tenant", "", "tenant of the user (default: yours; only admins may name another)")
	cmd.Flags().StringSliceVar(&f.roles, "role", []string{"viewer"}, "roles: viewer, operator, tenant-admin, admin (repeat or comma-separate)")
	cmd.Flags().StringVar(&f.passwordFile, "password-file", "", "read the password from this file")
	return cmd
}

func (m *Main) userLsCmd() *cobra.Command {
	var tenant string
	var asJSON bool
	cmd := &cobra.Command{
		Use: "ls", Short: "List users", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			us, err := c.AllUsers(cmd.Context(), tenant)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, us)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSERNAME\tTENANT\tROLES\tDISABLED")
			for _, u := range us {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", u.ID, u.Username, u.Tenant, strings.Join(u.Roles, ","), u.Disabled)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only users of this tenant (admins)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// userID resolves a user id or username to an id.
func userID(ctx context.Context, c *apiclient.Client, s string) (string, error) {
	if arca.ValidID(s) {
		return s, nil
	}
	us, err := c.AllUsers(ctx, "")
	if err != nil {
		return "", err
	}
	for _, u := range us {
		if u.Username == strings.ToLower(s) {
			return u.ID, nil
		}
	}
	return "", arca.Errorf(arca.CodeNotFound, "No user %q: arca user ls lists the users you can see.", s)
}

func (m *Main) userSetCmd() *cobra.Command {
	var f userFlags
	var password, disable, enable bool
	cmd := &cobra.Command{
		Use: "set USER", Short: "Change a user's roles, password (--password prompts) or disabled flag", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			id, err := userID(cmd.Context(), c, a[0])
			if err != nil {
				return err
			}
			var p serverapi.UserPatch
			if cmd.Flags().Changed("role") {
				p.Roles = f.roles
			}
			if password || f.passwordFile != "" {
				pw, err := m.newPassword(f.passwordFile)
				if err != nil {
					return err
				}
				p.Password = &pw
			}
			if disable || enable {
				p.Disabled = &disable
			}
			u, err := c.UpdateUser(cmd.Context(), id, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "User %s: roles %s, disabled %v.\n", u.Username, strings.Join(u.Roles, ","), u.Disabled)
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&f.roles, "role", nil, "new roles (replace the old ones)")
	cmd.Flags().BoolVar(&password, "password", false, "set a new password (prompted; ends the user's sessions)")
	cmd.Flags().StringVar(&f.passwordFile, "password-file", "", "read the new password from this file")
	cmd.Flags().BoolVar(&disable, "disable", false, "disable the user (ends its sessions)")
	cmd.Flags().BoolVar(&enable, "enable", false, "enable the user again")
	cmd.MarkFlagsMutuallyExclusive("disable", "enable")
	return cmd
}

func (m *Main) userRmCmd() *cobra.Command {
	return &cobra.Command{
		Use: "rm USER", Short: "Delete a user and its sessions", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			id, err := userID(cmd.Context(), c, a[0])
			if err != nil {
				return err
			}
			if err := c.DeleteUser(cmd.Context(), id); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "User %s deleted.\n", a[0])
			return nil
		},
	}
}
