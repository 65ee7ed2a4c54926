package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newRepoSnapshotsCmd(o *repoOptions) *cobra.Command {
	var host, tag string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "snapshots",
		Short: "List snapshots, oldest first",
		Args:  args(cobra.NoArgs),
	}
	cmd.Flags().StringVar(&host, "host", "", "only snapshots of this host")
	cmd.Flags().StringVar(&tag, "tag", "", "only snapshots with this tag")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print a JSON array")
	cmd.RunE = o.run(func(ctx context.Context, _ []string) error {
		r, err := o.open(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		all, err := listSnapshots(ctx, r)
		if err != nil {
			return err
		}
		sns := make([]snapshotEntry, 0, len(all))
		for _, s := range all {
			if (host == "" || s.Hostname == host) && (tag == "" || slices.Contains(s.Tags, tag)) {
				sns = append(sns, s)
			}
		}
		if jsonOut {
			return printJSON(o.m.Stdout, sns)
		}
		return o.printSnapshots(sns)
	})
	return cmd
}

func (o *repoOptions) printSnapshots(sns []snapshotEntry) error {
	tw := tabwriter.NewWriter(o.m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tHOST\tTAGS\tSIZE\tPATHS")
	for _, s := range sns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ShortID, s.Time.Local().Format(time.DateTime), s.Hostname,
			strings.Join(s.Tags, ","), humanBytes(int64(s.Stats.TotalBytes)), strings.Join(s.Paths, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(o.m.Stdout, "%d snapshot(s)\n", len(sns))
	}
	return nil
}
