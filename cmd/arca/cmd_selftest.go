package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

func newSelftestCmd(m *Main) *cobra.Command {
	var (
		duration       time.Duration
		steps          int
		fail, wait     bool
		asJSON         bool
		idempotencyKey string
	)
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Run the selftest task on the server (admin)",
		Long: "Start a task that runs for --duration reporting progress: checks that the server's workers run tasks.\n" +
			"With --wait, follow it to the end; the exit code says how it ended.",
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			var opts []apiclient.CallOption
			if idempotencyKey != "" {
				opts = append(opts, apiclient.IdempotencyKey(idempotencyKey))
			}
			req := serverapi.SelftestRequest{DurationMS: int(duration.Milliseconds()), Steps: steps, Fail: fail}
			a, err := c.CreateSelftest(cmd.Context(), req, opts...)
			if err != nil {
				return err
			}
			if wait {
				return m.watch(cmd.Context(), c, a.Task.ID, watchOptions{json: asJSON})
			}
			if asJSON {
				return printJSON(m.Stdout, a.Task)
			}
			fmt.Fprintf(m.Stdout, "Started task %s (follow it with: arca task watch %s).\n", a.Task.ID, a.Task.ID)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&duration, "duration", 2*time.Second, "how long the task runs")
	fl.IntVar(&steps, "steps", 10, "how many progress updates it reports")
	fl.BoolVar(&fail, "fail", false, "make the task fail (to test alerting and exit codes)")
	fl.BoolVar(&wait, "wait", false, "follow the task until it ends")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	fl.StringVar(&idempotencyKey, "idempotency-key", "", "Idempotency-Key of the request")
	return cmd
}
