package apiclient

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
)

const taskID = "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"

// TestWatchTaskResumesBrokenStream: a stream that breaks before the task
// ends is reopened with Last-Event-ID, and the watch ends at the terminal
// event. The server here is the seam under test: it breaks on purpose.
func TestWatchTaskResumesBrokenStream(t *testing.T) {
	var mu sync.Mutex
	var lastIDs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		n := len(lastIDs)
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		switch n {
		case 1: // one event, a comment, then the connection drops
			fmt.Fprintf(w, "retry: 10\n\n: keepalive\n\nid: 5\nevent: task\ndata: {\"id\":%q,\"state\":\"running\",\r\ndata: \"progress\":{\"percent\":50}}\n\n", taskID)
		case 2: // a 503 while the server restarts
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(503)
			fmt.Fprint(w, `{"code":"UNAVAILABLE","status":503,"detail":"restarting"}`)
		default:
			fmt.Fprintf(w, "id: 9\nevent: task\ndata: {\"id\":%q,\"state\":\"succeeded\",\"progress\":{\"percent\":100}}\n\n", taskID)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, Options{Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	final, err := c.WatchTask(context.Background(), taskID, 0, func(ev Event) error {
		seen = append(seen, fmt.Sprintf("%d %s %.0f", ev.ID, ev.Task.State, ev.Task.Progress.Percent))
		return nil
	})
	if err != nil || final.State != "succeeded" {
		t.Fatalf("WatchTask = %s, %v; want succeeded", final.State, err)
	}
	if diff := cmp.Diff([]string{"5 running 50", "9 succeeded 100"}, seen); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"", "5", "5"}, lastIDs); diff != "" {
		t.Errorf("Last-Event-ID per connection (-want +got):\n%s", diff)
	}
}

func TestWatchTaskStopsOnClientErrors(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(404)
		fmt.Fprint(w, `{"code":"NOT_FOUND","status":404,"detail":"task not found","request_id":"r1"}`)
	}))
	defer srv.Close()
	c, _ := New(srv.URL, Options{Token: "tok"})
	_, err := c.WatchTask(context.Background(), taskID, 0, func(Event) error { return nil })
	if arca.ErrorCode(err) != arca.CodeNotFound || calls != 1 {
		t.Errorf("watch of a missing task: %v after %d calls; want NOT_FOUND at once", err, calls)
	}
}

func TestDecodeError(t *testing.T) {
	tests := []struct {
		name, ct, body string
		status         int
		want           *arca.Error
	}{
		{"problem", "application/problem+json",
			`{"code":"FEATURE_IN_USE","status":409,"detail":"busy","request_id":"r","task_id":"t","errors":[{"field":"f","message":"m"}]}`, 409,
			&arca.Error{Code: arca.CodeFeatureInUse, Message: "busy", Fields: []arca.FieldError{{Field: "f", Message: "m"}},
				Details: map[string]string{"request_id": "r", "task_id": "t"}}},
		{"proxy page", "text/html", "<html>Bad Gateway</html>", 502,
			&arca.Error{Code: arca.CodeInternal, Message: "The server answered 502 Bad Gateway: <html>Bad Gateway</html>"}},
		{"bare 401", "text/plain", "", 401,
			&arca.Error{Code: arca.CodeUnauthenticated, Message: "The server answered 401 Unauthorized: (no body)"}},
	}
	for _, tt := range tests {
		resp := &http.Response{StatusCode: tt.status, Status: fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status)),
			Header: http.Header{"Content-Type": {tt.ct}}, Body: http.NoBody}
		if tt.body != "" {
			resp.Body = readCloser{strings.NewReader(tt.body)}
		}
		if diff := cmp.Diff(tt.want, DecodeError(resp)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestNormalizeFingerprint(t *testing.T) {
	want := strings.Repeat("ab", 32)
	for _, in := range []string{want, strings.ToUpper(want), strings.TrimSuffix(strings.Repeat("AB:", 32), ":"), "SHA256:" + want} {
		if got, err := NormalizeFingerprint(in); err != nil || got != want {
			t.Errorf("NormalizeFingerprint(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "abc", strings.Repeat("ab", 31), strings.Repeat("zz", 32)} {
		if _, err := NormalizeFingerprint(in); arca.ErrorCode(err) != arca.CodeInvalidArgument {
			t.Errorf("NormalizeFingerprint(%q): %v, want INVALID_ARGUMENT", in, err)
		}
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8420", "ftp://x", "http://"} {
		if _, err := New(u, Options{}); arca.ErrorCode(err) != arca.CodeInvalidArgument {
			t.Errorf("New(%q): %v, want INVALID_ARGUMENT", u, err)
		}
	}
}
