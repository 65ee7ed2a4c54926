package apiclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// Event is one server-sent event of a task's stream.
type Event struct {
	ID   int64 // resume after it with Last-Event-ID
	Task serverapi.Task
}

// maxStreamFailures is how many reconnects in a row may fail before
// WatchTask gives up.
const maxStreamFailures = 20

// WatchTask streams a task's events (GET /api/v1/tasks/{id}/events) to fn
// until the task ends, and returns its final state. after resumes a stream
// after an event id (0: from the current state). A stream that breaks is
// resumed with Last-Event-ID, so no state change is missed. It stops early
// when fn returns an error (returned as is) or ctx ends.
func (c *Client) WatchTask(ctx context.Context, id string, after int64, fn func(Event) error) (serverapi.Task, error) {
	if err := checkID(id); err != nil {
		return serverapi.Task{}, err
	}
	var last serverapi.Task
	failures, backoff := 0, 500*time.Millisecond
	for {
		s := stream{after: after, fn: fn}
		err := c.streamOnce(ctx, id, &s)
		if s.last != nil {
			last, after = *s.last, s.after
			if last.Final() {
				return last, nil
			}
		}
		if s.fnErr != nil {
			return last, s.fnErr
		}
		if err != nil && !retryable(err) {
			return last, err
		}
		if s.got > 0 {
			failures, backoff = 0, 500*time.Millisecond
		}
		if failures++; failures > maxStreamFailures {
			return last, fmt.Errorf("watch task %s: gave up after %d broken streams: %w", id, failures-1, err)
		}
		if err := sleep(ctx, backoff); err != nil {
			return last, err
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// stream is the state of one connection of a watch.
type stream struct {
	after int64
	fn    func(Event) error
	last  *serverapi.Task
	got   int
	fnErr error
}

func (c *Client) streamOnce(ctx context.Context, id string, s *stream) error {
	opts := []CallOption{func(h http.Header) { h.Set("Accept", "text/event-stream") }}
	if s.after > 0 {
		opts = append(opts, func(h http.Header) { h.Set(serverapi.HeaderLastEventID, strconv.FormatInt(s.after, 10)) })
	}
	resp, err := c.Do(ctx, http.MethodGet, "/api/v1/tasks/"+id+"/events", nil, opts...)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return DecodeError(resp)
	}
	return readEvents(resp.Body, s)
}

// readEvents parses a text/event-stream body, calling s.fn per task event.
func readEvents(body io.Reader, s *stream) error {
	r := bufio.NewReaderSize(body, 64<<10)
	var id, event string
	var data strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errStreamEnded
			}
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if data.Len() > 0 && (event == "" || event == "task") {
				if err := s.dispatch(id, data.String()); err != nil {
					return err
				}
				if s.fnErr != nil || (s.last != nil && s.last.Final()) {
					return nil
				}
			}
			id, event = "", ""
			data.Reset()
		case strings.HasPrefix(line, ":"):
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				id = value
			case "event":
				event = value
			case "data":
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.WriteString(value)
			}
		}
	}
}

func (s *stream) dispatch(id, data string) error {
	var t serverapi.Task
	if err := json.Unmarshal([]byte(data), &t); err != nil {
		return fmt.Errorf("decode task event: %w", err)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("task event without a numeric id %q", id)
	}
	s.after, s.last = n, &t
	s.got++
	s.fnErr = s.fn(Event{ID: n, Task: t})
	return nil
}

var errStreamEnded = errors.New("event stream ended before the task did")

// retryable says whether a broken watch should reconnect.
func retryable(err error) bool {
	if err == nil || errors.Is(err, errStreamEnded) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch arca.ErrorCode(err) {
	case arca.CodeUnavailable, arca.CodeInternal:
		return true
	}
	return false
}
