package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/policy"
	"github.com/arcabackup/arca/internal/serverapi"
)

func newSnapshotCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "List, inspect, browse, download and forget snapshots through the server",
		Long: "Snapshots of the server's registered repositories. SNAPSHOT is a snapshot's id or a unique prefix of at\n" +
			"least 8 hex digits (ls shows 8). Paths inside a snapshot are written from its root, as browse shows them.\n" +
			"For a repository without a server, see arca repo snapshots, ls and dump.",
	}
	cmd.AddCommand(m.snapshotListCmd(), m.snapshotShowCmd(), m.snapshotBrowseCmd(), m.snapshotDownloadCmd(), m.snapshotRmCmd())
	return cmd
}

type snapshotListFlags struct {
	repository, source, tag string
	since, until            string
	limit                   int
	asJSON                  bool
}

func (m *Main) snapshotListCmd() *cobra.Command {
	var f snapshotListFlags
	cmd := &cobra.Command{
		Use: "ls", Short: "List snapshots, newest first", Args: args(cobra.NoArgs),
		Example: "  arca snapshot ls --source www --since 7d\n  arca snapshot ls --repository main --tag nightly --json",
		RunE:    func(cmd *cobra.Command, _ []string) error { return m.snapshotList(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.repository, "repository", "r", "", "only snapshots in this repository (id or name)")
	fl.StringVar(&f.source, "source", "", "only snapshots of this source (id or name)")
	fl.StringVar(&f.tag, "tag", "", "only snapshots with this tag")
	fl.StringVar(&f.since, "since", "", "only snapshots taken at or after this time: RFC 3339, a date (2026-11-01), or an age (36h, 7d, 2w)")
	fl.StringVar(&f.until, "until", "", "only snapshots taken before this time (same forms as --since)")
	fl.IntVar(&f.limit, "limit", 0, "at most this many snapshots (0: all)")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	return cmd
}

// parseWhen reads a time bound: RFC 3339, a date (local midnight), or an
// age before now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if d, err := policy.ParseAge(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, usageError{fmt.Errorf("%q is not a time: give RFC 3339 (2026-11-01T08:00:00Z), a date (2026-11-01) or an age (36h, 7d)", s)}
}

func (m *Main) snapshotFilter(ctx context.Context, c *apiclient.Client, f snapshotListFlags) (apiclient.SnapshotFilter, error) {
	var sf apiclient.SnapshotFilter
	var err error
	if sf.Since, err = parseWhen(f.since, m.now()); err != nil {
		return sf, err
	}
	if sf.Until, err = parseWhen(f.until, m.now()); err != nil {
		return sf, err
	}
	if f.limit < 0 {
		return sf, usageError{fmt.Errorf("--limit %d: give 0 (all) or more", f.limit)}
	}
	sf.Tag = f.tag
	if f.repository != "" {
		if sf.RepositoryID, err = resolveRepository(ctx, c, f.repository); err != nil {
			return sf, err
		}
	}
	if f.source != "" {
		srcs, err := resolveSources(ctx, c, []string{f.source})
		if err != nil {
			return sf, err
		}
		sf.SourceID = srcs[0].ID
	}
	return sf, nil
}

func (m *Main) snapshotList(ctx context.Context, f snapshotListFlags) error {
	c, err := m.client()
	if err != nil {
		return err
	}
	sf, err := m.snapshotFilter(ctx, c, f)
	if err != nil {
		return err
	}
	var items []serverapi.Snapshot
	if f.limit > 0 {
		sf.Limit = min(f.limit, 1000)
		l, err := c.ListSnapshots(ctx, sf, "")
		if err != nil {
			return err
		}
		items = l.Items[:min(len(l.Items), f.limit)]
	} else if items, err = c.AllSnapshots(ctx, sf); err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(m.Stdout, serverapi.SnapshotList{Items: nonNil(items)})
	}
	return printSnapshotTable(m.Stdout, items, m.sourceNames(ctx, c))
}

// sourceNames maps source ids to names, for tables (empty if the list
// fails: the table then shows ids).
func (m *Main) sourceNames(ctx context.Context, c *apiclient.Client) map[string]string {
	names := map[string]string{}
	if all, err := c.AllSources(ctx, apiclient.SourceFilter{}); err == nil {
		for _, s := range all {
			names[s.ID] = s.Name
		}
	}
	return names
}

// snapshotStats decodes the statistics of a snapshot (zero if absent).
func snapshotStats(s serverapi.Snapshot) repo.SnapshotStats {
	var st repo.SnapshotStats
	_ = json.Unmarshal(s.Stats, &st)
	return st
}

func printSnapshotTable(w io.Writer, ss []serverapi.Snapshot, sourceNames map[string]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tSOURCE\tTAGS\tFILES\tSIZE")
	for _, s := range ss {
		src := sourceNames[s.SourceID]
		if src == "" {
			src = orDash(s.SourceID)
		}
		tags := strings.Join(s.Tags, ",")
		if s.CopyOnly {
			tags = strings.TrimPrefix(tags+",(copy-only)", ",")
		}
		st := snapshotStats(s)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", short(s.ID), s.Time.Local().Format(time.DateTime), src, orDash(tags),
			st.Files, humanBytes(int64(st.TotalBytes)))
	}
	return tw.Flush()
}

func (m *Main) snapshotShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "show SNAPSHOT", Short: "Show a snapshot", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			s, err := c.GetSnapshot(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, s)
			}
			return printSnapshot(m.Stdout, s)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printSnapshot(w io.Writer, s serverapi.Snapshot) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("ID", s.ID)
	row("Time", s.Time.Local().Format(time.RFC3339))
	row("Repository", s.RepositoryID)
	row("Source", strings.TrimSpace(s.SourceID+" "+s.SourceKind))
	row("Host", s.Hostname)
	row("Paths", strings.Join(s.Paths, " "))
	row("Tags", strings.Join(s.Tags, ", "))
	if s.CopyOnly {
		row("Copy only", "yes (never a parent, not counted by retention)")
	}
	row("Parent", s.Parent)
	row("Content digest", s.ContentDigest)
	row("Task", s.TaskID)
	if len(s.Stats) > 0 {
		st := snapshotStats(s)
		row("Files", fmt.Sprintf("%d (%d new, %d changed, %d unmodified), %d directories", st.Files, st.FilesNew,
			st.FilesChanged, st.FilesUnmodified, st.Dirs))
		row("Size", fmt.Sprintf("%s (%s new data, %s stored)", humanBytes(int64(st.TotalBytes)),
			humanBytes(int64(st.BytesAdded)), humanBytes(int64(st.BytesStored))))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
		row("Label "+k, s.Labels[k])
	}
	return tw.Flush()
}

func (m *Main) snapshotBrowseCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "browse SNAPSHOT [PATH]", Short: "List one directory of a snapshot (its root by default)",
		Example: "  arca snapshot browse 1a2b3c4d /www/static",
		Args:    args(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			p := ""
			if len(a) == 2 {
				p = a[1]
			}
			l, err := c.SnapshotTree(cmd.Context(), a[0], p)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, l)
			}
			return printTree(m.Stdout, l)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printTree prints a directory listing in the manner of ls -l.
func printTree(w io.Writer, l serverapi.TreeListing) error {
	width := 1
	for _, e := range l.Entries {
		width = max(width, len(strconv.FormatInt(e.Size, 10)))
	}
	for _, e := range l.Entries {
		name := e.Name
		switch e.Type {
		case "dir":
			name += "/"
		case "symlink":
			name += " -> " + e.Target
		}
		perm := e.Mode
		if len(perm) == 10 { // fs.FileMode's form: a type letter, then rwx three times
			perm = perm[1:]
		}
		if _, err := fmt.Fprintf(w, "%s%s %*d %s %s\n", typeLetter(e.Type), perm, width, e.Size,
			e.ModTime.Local().Format("2006-01-02 15:04"), name); err != nil {
			return err
		}
	}
	return nil
}

func typeLetter(t string) string {
	switch t {
	case "dir":
		return "d"
	case "symlink":
		return "l"
	case "file":
		return "-"
	}
	return "?"
}
