package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/serverapi"
)

func newTenantCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{Use: "tenant", Short: "Add, list and remove tenants (admin)"}
	cmd.AddCommand(m.tenantAddCmd(), m.tenantLsCmd(), m.tenantRmCmd())
	return cmd
}

func (m *Main) tenantAddCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use: "add ID", Short: "Create a tenant: ID is lower-case letters, digits and dashes", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			t, err := c.CreateTenant(cmd.Context(), serverapi.TenantCreate{ID: a[0], Name: name})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Tenant %s (%s) created.\n", t.ID, t.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "display name (default: the id)")
	return cmd
}

func (m *Main) tenantLsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "ls", Short: "List tenants", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			ts, err := c.ListTenants(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, ts)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tCREATED")
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) tenantRmCmd() *cobra.Command {
	return &cobra.Command{
		Use: "rm ID", Short: "Delete an empty tenant", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			if err := c.DeleteTenant(cmd.Context(), a[0]); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Tenant %s deleted.\n", a[0])
			return nil
		},
	}
}
