package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

type watchOptions struct {
	json bool
}

// watch follows a task until it ends and returns checkOutcome of its final
// state, so that the exit code says how it ended.
func (m *Main) watch(ctx context.Context, c *apiclient.Client, id string, o watchOptions) error {
	if o.json {
		enc := json.NewEncoder(m.Stdout)
		t, err := c.WatchTask(ctx, id, 0, func(ev apiclient.Event) error { return enc.Encode(ev.Task) })
		if err != nil {
			return err
		}
		return checkOutcome(t)
	}
	var cur atomic.Pointer[serverapi.Task]
	p := mpb.NewWithContext(ctx, mpb.WithOutput(m.Stdout), mpb.WithWidth(40), mpb.WithRefreshRate(200*time.Millisecond))
	bar := p.New(1000, mpb.BarStyle(),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return phase(cur.Load()) }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return details(cur.Load()) })))
	t, err := c.WatchTask(ctx, id, 0, func(ev apiclient.Event) error {
		cur.Store(&ev.Task)
		bar.SetCurrent(int64(ev.Task.Progress.Percent * 10))
		return nil
	})
	if err == nil && t.State == "succeeded" {
		bar.SetCurrent(1000)
	} else {
		bar.Abort(false)
	}
	p.Wait()
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Task %s %s.\n", t.ID, t.State)
	return checkOutcome(t)
}

func phase(t *serverapi.Task) string {
	if t == nil {
		return "connecting"
	}
	if t.Progress.Phase != "" && !t.Final() {
		return t.Operation + " " + t.Progress.Phase
	}
	return t.Operation + " " + t.State
}

func details(t *serverapi.Task) string {
	if t == nil {
		return ""
	}
	s := fmt.Sprintf("%5.1f%%", t.Progress.Percent)
	p := t.Progress
	if p.BytesTotal > 0 || p.BytesDone > 0 {
		s += fmt.Sprintf("  %s/%s", humanBytes(p.BytesDone), humanBytes(p.BytesTotal))
	}
	if p.ETASeconds > 0 && !t.Final() {
		s += "  ETA " + (time.Duration(p.ETASeconds) * time.Second).String()
	}
	return s
}
