package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/task"
)

type eventsInput struct {
	ID          string `path:"id" maxLength:"64" doc:"Task id."`
	LastEventID string `header:"Last-Event-ID" maxLength:"32" doc:"Resume after this event id (sent by EventSource on reconnect)."`
}

func (s *Server) eventRoute() {
	register(s, huma.Operation{OperationID: "task-events", Method: http.MethodGet, Path: "/api/v1/tasks/{id}/events",
		Summary: "Stream a task's progress as server-sent events",
		Description: "Each event is `event: task`, `id: <sequence>`, `data: <task JSON>`. The stream ends after the " +
			"event of the task's terminal state. A comment line is sent every 15 s on an idle stream. " +
			"Reconnect with Last-Event-ID to resume.",
		Tags: []string{"tasks"},
		Responses: map[string]*huma.Response{"200": {Description: "The event stream.",
			Content: map[string]*huma.MediaType{"text/event-stream": {Schema: &huma.Schema{Type: "string"}}}}},
	}, auth.ActionTaskRead, s.taskEvents)
}

func (s *Server) taskEvents(ctx context.Context, in *eventsInput) (*huma.StreamResponse, error) {
	var after int64
	if in.LastEventID != "" {
		n, err := strconv.ParseInt(in.LastEventID, 10, 64)
		if err != nil || n < 0 {
			return nil, s.fail(ctx, invalidField("Last-Event-ID", "Last-Event-ID %q is not an event id this API sent: send the id: of the last event you received.", in.LastEventID))
		}
		after = n
	}
	if _, err := s.visibleTask(ctx, in.ID, auth.ActionTaskRead); err != nil {
		return nil, s.fail(ctx, err)
	}
	sctx, cancel := s.draining(ctx)
	events, err := s.opts.Tasks.Watch(sctx, in.ID, after)
	if err != nil {
		cancel()
		return nil, s.fail(ctx, err)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		defer cancel()
		_, w := humago.Unwrap(hctx)
		s.stream(sctx, w, events)
	}}, nil
}

// stream writes events until the watch ends, the client leaves or the
// server drains.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, events <-chan task.Event) {
	rc := http.NewResponseController(w)
	// A stream outlives the server's read and write timeouts.
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	_ = rc.Flush()
	keep := time.NewTicker(s.opts.Keepalive)
	defer keep.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			if err := writeEvent(w, ev); err != nil {
				return
			}
		case <-keep.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func writeEvent(w http.ResponseWriter, ev task.Event) error {
	data, err := json.Marshal(wireTask(ev.Task))
	if err != nil {
		return fmt.Errorf("encode task event: %w", err)
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: task\ndata: %s\n\n", ev.Seq, data)
	return err
}
