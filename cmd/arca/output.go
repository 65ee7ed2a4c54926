package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/arcabackup/arca/internal/serverapi"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printTaskTable(w io.Writer, ts []serverapi.Task) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOPERATION\tSTATE\tPROGRESS\tCREATED\tTARGET")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f%%\t%s\t%s\n", t.ID, t.Operation, t.State, t.Progress.Percent,
			t.CreatedAt.Local().Format(time.DateTime), target(t.Target))
	}
	return tw.Flush()
}

func target(t serverapi.Target) string {
	if t.Type == "" && t.ID == "" {
		return "-"
	}
	return t.Type + ":" + t.ID
}

func printTask(w io.Writer, t serverapi.Task) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("ID", t.ID)
	row("Operation", t.Operation)
	row("Target", target(t.Target))
	row("State", t.State)
	row("Blocked", t.BlockedReason)
	row("Progress", progressLine(t.Progress))
	row("Parent", t.Parent)
	row("Tenant", t.Tenant)
	row("Created", t.CreatedAt.Local().Format(time.RFC3339)+" by "+t.CreatedBy)
	if t.StartedAt != nil {
		row("Started", t.StartedAt.Local().Format(time.RFC3339))
	}
	if t.EndedAt != nil {
		row("Ended", t.EndedAt.Local().Format(time.RFC3339))
	}
	row("Request ID", t.RequestID)
	if t.Error != nil {
		row("Error", t.Error.Code+": "+t.Error.Message)
	}
	for _, w := range t.Warnings {
		row("Warning", w)
	}
	if len(t.Result) > 0 {
		row("Result", t.ResultType+" "+string(t.Result))
	}
	return tw.Flush()
}

func progressLine(p serverapi.Progress) string {
	parts := []string{fmt.Sprintf("%.1f%%", p.Percent)}
	if p.Phase != "" {
		parts = append(parts, p.Phase)
	}
	if p.BytesTotal > 0 || p.BytesDone > 0 {
		parts = append(parts, fmt.Sprintf("%s/%s", humanBytes(p.BytesDone), humanBytes(p.BytesTotal)))
	}
	if p.ItemsTotal > 0 || p.ItemsDone > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d items", p.ItemsDone, p.ItemsTotal))
	}
	if p.ETASeconds > 0 {
		parts = append(parts, "ETA "+(time.Duration(p.ETASeconds)*time.Second).String())
	}
	return strings.Join(parts, ", ")
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
