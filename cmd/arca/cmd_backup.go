package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

type serverBackupFlags struct {
	tags     []string
	copyOnly bool
	level    string
	start    startFlags
}

func newBackupCmd(m *Main) *cobra.Command {
	var f serverBackupFlags
	cmd := &cobra.Command{
		Use:   "backup SOURCE...",
		Short: "Back up sources on the server, as tasks (one source, or a batch of up to 100)",
		Long: "Start a backup of each SOURCE (id or name) on the server. One source is one task; several are one batch:\n" +
			"a parent task and one job per source, all checked before anything starts. --wait follows them with live\n" +
			"progress (a bar per source on a terminal, plain lines otherwise) and prints each one's snapshot; the exit\n" +
			"code then says how it ended: 0 succeeded, 3 failed, 4 canceled, 5 partially succeeded (some sources failed).\n\n" +
			"For a one-off backup without a server, see arca repo backup.",
		Example: "  arca backup www --wait\n  arca backup www db mail --tag nightly --wait",
		Args:    args(cobra.MinimumNArgs(1)),
		RunE:    func(cmd *cobra.Command, a []string) error { return m.serverBackup(cmd.Context(), a, f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.tags, "tag", nil, "tag the snapshots (repeat for several)")
	fl.BoolVar(&f.copyOnly, "copy-only", false, "an extra snapshot: never the parent of a later backup, not counted by retention")
	fl.StringVar(&f.level, "level", "", "full (read everything again) or incremental (the default: skip what the parent has)")
	f.start.register(fl)
	return cmd
}

func (m *Main) serverBackup(ctx context.Context, refs []string, f serverBackupFlags) error {
	switch f.level {
	case "", "full", "incremental":
	default:
		return usageError{fmt.Errorf("--level %q: use full or incremental", f.level)}
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	srcs, err := resolveSources(ctx, c, refs)
	if err != nil {
		return err
	}
	if len(srcs) == 1 {
		a, err := c.BackupSource(ctx, srcs[0].ID, serverapi.BackupRequest{Tags: f.tags, CopyOnly: f.copyOnly, Level: f.level}, f.start.opts()...)
		if err != nil {
			return err
		}
		return m.started(ctx, c, a, srcs[0].Name, f.start)
	}
	ids := make([]string, len(srcs))
	for i, s := range srcs {
		ids[i] = s.ID
	}
	b, err := c.BackupBatch(ctx, serverapi.BatchBackupRequest{SourceIDs: ids, Tags: f.tags, CopyOnly: f.copyOnly, Level: f.level}, f.start.opts()...)
	if err != nil {
		return err
	}
	return m.startedBatch(ctx, c, b, srcs, f.start)
}

// startedBatch reports a batch: with --wait it follows its jobs to their
// end, otherwise it prints them.
func (m *Main) startedBatch(ctx context.Context, c *apiclient.Client, b apiclient.BatchAccepted, srcs []serverapi.Source, f startFlags) error {
	names := make(map[string]string, len(srcs))
	for _, s := range srcs {
		names[s.ID] = s.Name
	}
	jobs := make([]job, len(b.Jobs))
	for i, j := range b.Jobs {
		jobs[i] = job{label: names[j.SourceID], id: j.TaskID}
		if jobs[i].label == "" {
			jobs[i].label = j.SourceID
		}
	}
	switch {
	case f.wait:
		return m.follow(ctx, c, b.Task.ID, jobs, f.asJSON)
	case f.asJSON:
		return printJSON(m.Stdout, serverapi.BatchBackupResponse{Task: b.Task, Jobs: b.Jobs})
	}
	fmt.Fprintf(m.Stdout, "Started batch task %s with %d jobs (follow it with: arca task watch %s):\n", b.Task.ID, len(jobs), b.Task.ID)
	for _, j := range jobs {
		fmt.Fprintf(m.Stdout, "  %s: task %s\n", j.label, j.id)
	}
	return nil
}
