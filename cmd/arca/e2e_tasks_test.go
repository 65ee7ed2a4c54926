package main

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

var errStop = errors.New("seen enough")

// watchUntil follows a task's events until pred holds for one and returns
// that event.
func watchUntil(t *testing.T, c *apiclient.Client, id string, pred func(serverapi.Task) bool) apiclient.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var got apiclient.Event
	last, err := c.WatchTask(ctx, id, 0, func(ev apiclient.Event) error {
		if pred(ev.Task) {
			got = ev
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("task %s never reached the expected state (last %s): %v", id, last.State, err)
	}
	return got
}

func running(t serverapi.Task) bool { return t.State == "running" }

func startSelftest(t *testing.T, c *apiclient.Client, req serverapi.SelftestRequest, opts ...apiclient.CallOption) apiclient.Accepted {
	t.Helper()
	a, err := c.CreateSelftest(context.Background(), req, opts...)
	if err != nil {
		t.Fatalf("create selftest: %v", err)
	}
	return a
}

func TestSelftestLongPoll(t *testing.T) { testSelftestLongPoll(t, startServer(t, serverSetup{})) }

func testSelftestLongPoll(t *testing.T, ts *testServer) {
	ctx := context.Background()
	a := startSelftest(t, ts.Client, serverapi.SelftestRequest{DurationMS: 200, Steps: 4}, apiclient.RequestID("e2e-request-1"))
	if diff := cmp.Diff("/api/v1/tasks/"+a.Task.ID, a.Location); diff != "" {
		t.Errorf("Location (-want +got):\n%s", diff)
	}
	if a.RequestID != "e2e-request-1" || a.Task.RequestID != "e2e-request-1" {
		t.Errorf("request id: echoed %q, stored %q; want e2e-request-1 for both", a.RequestID, a.Task.RequestID)
	}
	if a.Task.State != "queued" && a.Task.State != "running" {
		t.Errorf("new task is %s, want queued or running", a.Task.State)
	}
	got, err := ts.Client.WaitTask(ctx, a.Task.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := struct {
		State, RequestID string
		Percent          float64
	}{"succeeded", "e2e-request-1", 100}
	if diff := cmp.Diff(want, struct {
		State, RequestID string
		Percent          float64
	}{got.State, got.RequestID, got.Progress.Percent}); diff != "" {
		t.Errorf("finished task (-want +got):\n%s", diff)
	}
	if got.EndedAt == nil || got.Cancelable {
		t.Errorf("finished task: ended_at %v, cancelable %v; want a time and false", got.EndedAt, got.Cancelable)
	}
}

func TestEventStreamAndResume(t *testing.T) {
	testEventStreamAndResume(t, startServer(t, serverSetup{}))
}

func testEventStreamAndResume(t *testing.T, ts *testServer) {
	a := startSelftest(t, ts.Client, serverapi.SelftestRequest{DurationMS: 1500, Steps: 15})
	first := watchUntil(t, ts.Client, a.Task.ID, func(t serverapi.Task) bool {
		return t.State == "running" && t.Progress.Percent > 0
	})
	var events []apiclient.Event
	final, err := ts.Client.WatchTask(context.Background(), a.Task.ID, first.ID, func(ev apiclient.Event) error {
		events = append(events, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if final.State != "succeeded" || len(events) == 0 || events[len(events)-1].Task.State != "succeeded" {
		t.Fatalf("stream ended with %s after %d events; want the succeeded event last", final.State, len(events))
	}
	prevID, prevPct := first.ID, first.Task.Progress.Percent
	sawProgress := false
	for _, ev := range events {
		if ev.ID <= prevID {
			t.Errorf("event id %d after %d: a resumed stream must only send newer events", ev.ID, prevID)
		}
		if ev.Task.Progress.Percent < prevPct {
			t.Errorf("progress went back from %v to %v", prevPct, ev.Task.Progress.Percent)
		}
		if ev.Task.State == "running" && ev.Task.Progress.Percent > prevPct {
			sawProgress = true
		}
		prevID, prevPct = ev.ID, ev.Task.Progress.Percent
	}
	if !sawProgress {
		t.Errorf("the resumed stream carried no progress of a running task: %d events", len(events))
	}
}

func TestEventStreamWireFormat(t *testing.T) {
	testEventStreamWireFormat(t, startServer(t, serverSetup{}))
}

func testEventStreamWireFormat(t *testing.T, ts *testServer) {
	a := startSelftest(t, ts.Client, serverapi.SelftestRequest{DurationMS: 0, Steps: 1})
	if _, err := ts.Client.WaitTask(context.Background(), a.Task.ID); err != nil {
		t.Fatal(err)
	}
	resp, err := ts.Client.Do(context.Background(), http.MethodGet, "/api/v1/tasks/"+a.Task.ID+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := readAll(t, resp)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q, want text/event-stream", ct)
	}
	// A finished task's stream is its terminal event, then the end.
	for _, want := range []string{"retry: ", "\nevent: task\n", "\nid: ", `"state":"succeeded"`} {
		if !contains(body, want) {
			t.Errorf("stream lacks %q:\n%s", want, body)
		}
	}
}

func TestCancelAndDelete(t *testing.T) { testCancelAndDelete(t, startServer(t, serverSetup{})) }

func testCancelAndDelete(t *testing.T, ts *testServer) {
	ctx := context.Background()
	a := startSelftest(t, ts.Client, serverapi.SelftestRequest{DurationMS: 600_000, Steps: 6000})
	watchUntil(t, ts.Client, a.Task.ID, running)

	err := ts.Client.DeleteTask(ctx, a.Task.ID)
	wantCode(t, "delete running", err, arca.CodeNotAllowedInState)

	c, err := ts.Client.CancelTask(ctx, a.Task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != "canceling" && c.State != "canceled" {
		t.Errorf("after cancel: %s, want canceling or canceled", c.State)
	}
	final, err := ts.Client.WaitTask(ctx, a.Task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != "canceled" {
		t.Fatalf("canceled task ended %s", final.State)
	}
	_, err = ts.Client.CancelTask(ctx, a.Task.ID)
	wantCode(t, "cancel finished", err, arca.CodeNotAllowedInState)
	if err := ts.Client.DeleteTask(ctx, a.Task.ID); err != nil {
		t.Fatalf("delete finished task: %v", err)
	}
	_, err = ts.Client.GetTask(ctx, a.Task.ID, 0)
	wantCode(t, "get deleted", err, arca.CodeNotFound)
}

func TestIdempotency(t *testing.T) { testIdempotency(t, startServer(t, serverSetup{})) }

func testIdempotency(t *testing.T, ts *testServer) {
	req := serverapi.SelftestRequest{DurationMS: 10, Steps: 2}
	first := startSelftest(t, ts.Client, req, apiclient.IdempotencyKey("key-1"))
	again := startSelftest(t, ts.Client, req, apiclient.IdempotencyKey("key-1"))
	if first.Replayed || !again.Replayed || again.Task.ID != first.Task.ID {
		t.Errorf("replay: first (%s, replayed %v), again (%s, replayed %v); want the same task, replayed only the second time",
			first.Task.ID, first.Replayed, again.Task.ID, again.Replayed)
	}
	_, err := ts.Client.CreateSelftest(context.Background(), serverapi.SelftestRequest{DurationMS: 10, Steps: 3},
		apiclient.IdempotencyKey("key-1"))
	wantCode(t, "same key, other body", err, arca.CodeIdempotencyKeyReused)
	other := startSelftest(t, ts.Client, req, apiclient.IdempotencyKey("key-2"))
	if other.Task.ID == first.Task.ID || other.Replayed {
		t.Errorf("a new key replayed task %s", other.Task.ID)
	}
}

func TestListTasksPages(t *testing.T) { testListTasksPages(t, startServer(t, serverSetup{})) }

func testListTasksPages(t *testing.T, ts *testServer) {
	ctx := context.Background()
	var ids []string
	for range 5 {
		ids = append(ids, startSelftest(t, ts.Client, serverapi.SelftestRequest{Steps: 1}).Task.ID)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := ts.Client.ListTasks(ctx, apiclient.TaskFilter{Operation: "selftest", Limit: 2}, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range page.Items {
			got = append(got, task.ID)
		}
		if cursor = page.NextCursor; cursor == "" || pages > 10 {
			break
		}
	}
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages, newest first (-want +got):\n%s", diff)
	}
	none, err := ts.Client.ListTasks(ctx, apiclient.TaskFilter{States: []string{"blocked", "canceling"}}, "")
	if err != nil || len(none.Items) != 0 {
		t.Errorf("state filter: %d tasks, err %v; want none", len(none.Items), err)
	}
}

func wantCode(t *testing.T, what string, err error, code arca.Code) {
	t.Helper()
	if got := arca.ErrorCode(err); got != code {
		t.Errorf("%s: error code %q (%v), want %q", what, got, err, code)
	}
	var ae *arca.Error
	if errors.As(err, &ae) && ae.Details["request_id"] == "" {
		t.Errorf("%s: the problem has no request_id", what)
	}
}
