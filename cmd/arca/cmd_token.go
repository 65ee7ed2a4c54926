package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/serverapi"
)

func newTokenCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke API tokens (tenant admins)"}
	cmd.AddCommand(m.tokenCreateCmd(), m.tokenLsCmd(), m.tokenRevokeCmd())
	return cmd
}

func (m *Main) tokenCreateCmd() *cobra.Command {
	var tenant, expires string
	var roles []string
	var asJSON bool
	cmd := &cobra.Command{
		Use: "create NAME", Short: "Create an API token and print it (once)", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			req := serverapi.TokenCreate{Tenant: tenant, Name: a[0], Roles: roles}
			if expires != "" {
				t, err := expiry(expires, m.clock())
				if err != nil {
					return err
				}
				req.ExpiresAt = &t
			}
			c, err := m.client()
			if err != nil {
				return err
			}
			out, err := c.CreateToken(cmd.Context(), req)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, out)
			}
			fmt.Fprintf(m.Stderr, "API token %s (%s, roles %s) created. It is shown ONCE and stored only as a hash:\n",
				out.Token.ID, out.Token.Name, strings.Join(out.Token.Roles, ","))
			fmt.Fprintln(m.Stdout, out.Secret)
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant of the token (default: yours; only admins may name another)")
	cmd.Flags().StringSliceVar(&roles, "role", []string{"viewer"}, "roles: viewer, operator, tenant-admin, admin (never above yours)")
	cmd.Flags().StringVar(&expires, "expires", "", "expiry: a duration (90d, 2w, 36h) or an RFC 3339 time; none by default")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (including the secret)")
	return cmd
}

// expiry reads --expires: a duration from now or an RFC 3339 time.
func expiry(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := parseAge(s)
	if err != nil || d <= 0 {
		return time.Time{}, usageError{fmt.Errorf("--expires=%q: use a duration such as 90d or 36h, or a time such as 2027-01-01T00:00:00Z", s)}
	}
	return now.Add(d), nil
}

func (m *Main) tokenLsCmd() *cobra.Command {
	var tenant string
	var asJSON bool
	cmd := &cobra.Command{
		Use: "ls", Short: "List API tokens (never their secrets)", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			ts, err := c.AllTokens(cmd.Context(), tenant)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, ts)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tTENANT\tROLES\tEXPIRES\tLAST USED\tSTATE")
			for _, t := range ts {
				state := "active"
				switch {
				case t.RevokedAt != nil:
					state = "revoked"
				case t.ExpiresAt != nil && !t.ExpiresAt.After(m.clock()):
					state = "expired"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Tenant, strings.Join(t.Roles, ","),
					timeOrDash(t.ExpiresAt), timeOrDash(t.LastUsedAt), state)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only tokens of this tenant (admins)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

func (m *Main) tokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use: "revoke ID", Short: "Revoke an API token", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), a[0]); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "API token %s revoked.\n", a[0])
			return nil
		},
	}
}

// clock is the time now (Main.Now when set).
func (m *Main) clock() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}
