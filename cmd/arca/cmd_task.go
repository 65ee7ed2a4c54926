package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/apiclient"
)

func newTaskCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{Use: "task", Short: "List, inspect, watch, cancel and delete tasks"}
	cmd.AddCommand(m.taskListCmd(), m.taskGetCmd(), m.taskWatchCmd(), m.taskCancelCmd(), m.taskRmCmd())
	return cmd
}

func (m *Main) taskListCmd() *cobra.Command {
	var f apiclient.TaskFilter
	var asJSON, all bool
	cmd := &cobra.Command{
		Use: "list", Short: "List tasks, newest first", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			page, err := c.ListTasks(cmd.Context(), f, "")
			for all && err == nil && page.NextCursor != "" {
				var next = page
				next, err = c.ListTasks(cmd.Context(), f, page.NextCursor)
				page.Items, page.NextCursor = append(page.Items, next.Items...), next.NextCursor
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, page)
			}
			return printTaskTable(m.Stdout, page.Items)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.States, "state", nil, "only tasks in these states (comma-separated or repeated)")
	fl.StringVar(&f.Operation, "operation", "", "only tasks of this operation")
	fl.StringVar(&f.Parent, "parent", "", "only the jobs of this batch task")
	fl.StringVar(&f.TargetType, "target-type", "", "only tasks on targets of this type")
	fl.StringVar(&f.TargetID, "target-id", "", "only tasks on this target")
	fl.IntVar(&f.Limit, "limit", 100, "tasks per page (at most 1000)")
	fl.BoolVar(&all, "all", false, "fetch every page")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) taskGetCmd() *cobra.Command {
	var asJSON bool
	var wait time.Duration
	cmd := &cobra.Command{
		Use: "get ID", Short: "Show a task", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			t, err := c.GetTask(cmd.Context(), a[0], wait)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, t)
			}
			return printTask(m.Stdout, t)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long (at most 60s) for the task to end")
	return cmd
}

func (m *Main) taskWatchCmd() *cobra.Command {
	var o watchOptions
	cmd := &cobra.Command{
		Use: "watch ID", Short: "Follow a task's progress until it ends",
		Long: "Draw a live progress bar until the task ends. The exit code says how it ended:\n" +
			"0 succeeded, 3 failed, 4 canceled, 5 partially succeeded.",
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			return m.watch(cmd.Context(), c, a[0], o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print each event as a JSON line instead of a bar")
	return cmd
}

func (m *Main) taskCancelCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "cancel ID", Short: "Cancel a task (and its jobs)", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			t, err := c.CancelTask(cmd.Context(), a[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, t)
			}
			fmt.Fprintf(m.Stdout, "Task %s is %s.\n", t.ID, t.State)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the task as JSON")
	return cmd
}

func (m *Main) taskRmCmd() *cobra.Command {
	return &cobra.Command{
		Use: "rm ID...", Short: "Delete finished tasks", Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			for _, id := range a {
				if err := c.DeleteTask(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "Deleted task %s.\n", id)
			}
			return nil
		},
	}
}
