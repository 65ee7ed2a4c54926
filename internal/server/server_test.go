package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/task"
)

var (
	admin  = arca.Principal{ID: "admin", Kind: "token", Tenant: "default", Roles: []arca.Role{arca.RoleAdmin}}
	viewer = arca.Principal{ID: "viewer", Kind: "token", Tenant: "acme", Roles: []arca.Role{arca.RoleViewer}}
	oper   = arca.Principal{ID: "oper", Kind: "token", Tenant: "acme", Roles: []arca.Role{arca.RoleOperator}}
)

type bundle struct {
	srv   *Server
	tasks *fakeTasks
	logs  *bytes.Buffer
}

func setup(t *testing.T, opts ...func(*Options)) bundle {
	t.Helper()
	logs := &bytes.Buffer{}
	ft := newFakeTasks()
	o := Options{Tasks: ft, Auth: fakeAuth{"admin": admin, "viewer": viewer, "oper": oper}, Ready: pinger{},
		Logger: slog.New(LogHandler(slog.NewJSONHandler(logs, nil)))}
	for _, f := range opts {
		f(&o)
	}
	return bundle{srv: New(o), tasks: ft, logs: logs}
}

func (b bundle) do(method, path, token, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	b.srv.ServeHTTP(w, r)
	return w
}

func problem(t *testing.T, w *httptest.ResponseRecorder) serverapi.Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != problemContentType {
		t.Errorf("Content-Type %q, want %s; body %s", ct, problemContentType, w.Body)
	}
	var p serverapi.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem %q: %v", w.Body, err)
	}
	return p
}

func TestStatusOfEveryCode(t *testing.T) {
	want := map[arca.Code]int{
		arca.CodeInvalidArgument: 400, arca.CodeUnauthenticated: 401, arca.CodePermissionDenied: 403,
		arca.CodeNotFound: 404, arca.CodeAlreadyExists: 409, arca.CodeFeatureInUse: 409,
		arca.CodeNotAllowedInState: 409, arca.CodeCanceled: 409, arca.CodeIdempotencyKeyReused: 422,
		arca.CodeUnverifiedPeer: 422, arca.CodePayloadTooLarge: 413, arca.CodeResourceExhausted: 429,
		arca.CodeUnavailable: 503, arca.CodeInterrupted: 503, arca.CodeInternal: 500, "SOMETHING_NEW": 500,
	}
	got := map[arca.Code]int{}
	for c := range want {
		got[c] = StatusOf(c)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status per code (-want +got):\n%s", diff)
	}
}

func TestProblemOfFeatureInUseLinksTheHolder(t *testing.T) {
	b := setup(t)
	holder := "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"
	err := &arca.Error{Code: arca.CodeFeatureInUse, Message: "busy", Details: map[string]string{"task_id": holder}}
	ctx := WithRequestID(context.Background(), "rid")
	got := b.srv.problemOf(ctx, err, 0)
	want := serverapi.Problem{Type: "urn:arca:problem:feature_in_use", Title: "Conflict", Status: 409, Detail: "busy",
		Code: "FEATURE_IN_USE", RequestID: "rid", TaskID: holder, Link: "/api/v1/tasks/" + holder,
		Details: map[string]string{"task_id": holder}}
	if diff := cmp.Diff(want, got.p); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}
}

func TestInternalErrorsHideTheCause(t *testing.T) {
	b := setup(t)
	got := b.srv.problemOf(WithRequestID(context.Background(), "rid-9"), io.ErrUnexpectedEOF, 0)
	if got.status != 500 || got.p.Detail != internalMessage || strings.Contains(got.p.Detail, "EOF") {
		t.Errorf("internal error shown as %d %q", got.status, got.p.Detail)
	}
	if !strings.Contains(b.logs.String(), "unexpected EOF") || !strings.Contains(b.logs.String(), `"request_id":"rid-9"`) {
		t.Errorf("the log lacks the cause or the request id:\n%s", b.logs)
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	b := setup(t, func(o *Options) { o.Ready = panicker{} })
	w := b.do("GET", "/readyz", "", "")
	p := problem(t, w)
	if w.Code != 500 || p.Code != "INTERNAL" || strings.Contains(w.Body.String(), "goroutine") {
		t.Errorf("panic answered %d %+v", w.Code, p)
	}
	if !strings.Contains(b.logs.String(), "panic serving request") {
		t.Errorf("panic not logged:\n%s", b.logs)
	}
}

type panicker struct{}

func (panicker) Ping(context.Context) error { panic("boom") }

func TestReadyz(t *testing.T) {
	b := setup(t, func(o *Options) { o.Ready = pinger{err: io.EOF} })
	if w := b.do("GET", "/readyz", "", ""); w.Code != 503 || problem(t, w).Code != "UNAVAILABLE" {
		t.Errorf("readyz with a dead catalog: %d %s", w.Code, w.Body)
	}
	if w := b.do("GET", "/healthz", "", ""); w.Code != 200 {
		t.Errorf("healthz: %d", w.Code)
	}
}

func TestRequestIDs(t *testing.T) {
	b := setup(t)
	tests := map[string]string{
		"kept":      "abc-123",
		"sanitised": "ab c\"d\\e\x01f",
		"cut":       strings.Repeat("x", 300),
	}
	want := map[string]string{"kept": "abc-123", "sanitised": "abcdef", "cut": strings.Repeat("x", 128)}
	for name, in := range tests {
		w := b.do("GET", "/healthz", "", "", "X-Request-ID", in)
		if got := w.Header().Get("X-Request-ID"); got != want[name] {
			t.Errorf("%s: echoed %q, want %q", name, got, want[name])
		}
	}
	w := b.do("GET", "/healthz", "", "")
	if !arca.ValidID(w.Header().Get("X-Request-ID")) {
		t.Errorf("generated request id %q is not an id", w.Header().Get("X-Request-ID"))
	}
	if !strings.Contains(b.logs.String(), `"request_id":"abc-123"`) {
		t.Errorf("the access log lacks the request id:\n%s", b.logs)
	}
}

func TestAccessLogNeverHoldsCredentials(t *testing.T) {
	b := setup(t)
	b.do("POST", "/api/v1/system/selftest", "admin", `{"steps":1}`)
	b.do("GET", "/api/v1/tasks", "wrong-secret-token", "")
	if s := b.logs.String(); strings.Contains(s, "wrong-secret-token") || strings.Contains(s, "Bearer") || strings.Contains(s, `"steps"`) {
		t.Errorf("the log holds a credential or a body:\n%s", s)
	}
}

func TestSecurityHeaders(t *testing.T) {
	b := setup(t)
	for _, path := range []string{"/api/v1/tasks", "/healthz", "/nope"} {
		w := b.do("GET", path, "admin", "")
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
			if path == "/nope" && k == "Cache-Control" {
				continue
			}
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
}

func TestTenantScoping(t *testing.T) {
	b := setup(t)
	mine := b.tasks.add(arca.Task{Tenant: "acme", Operation: "selftest", State: arca.TaskRunning})
	theirs := b.tasks.add(arca.Task{Tenant: "other", Operation: "selftest", State: arca.TaskRunning})

	if w := b.do("GET", "/api/v1/tasks/"+theirs.ID, "viewer", ""); w.Code != 404 {
		t.Errorf("viewer reading another tenant's task: %d, want 404", w.Code)
	}
	if w := b.do("GET", "/api/v1/tasks/"+mine.ID, "viewer", ""); w.Code != 200 {
		t.Errorf("viewer reading its tenant's task: %d", w.Code)
	}
	if w := b.do("POST", "/api/v1/tasks/"+mine.ID+"/cancel", "viewer", ""); w.Code != 403 || problem(t, w).Code != "PERMISSION_DENIED" {
		t.Errorf("viewer canceling: %d %s, want 403", w.Code, w.Body)
	}
	if w := b.do("POST", "/api/v1/tasks/"+mine.ID+"/cancel", "oper", ""); w.Code != 200 {
		t.Errorf("operator canceling its tenant's task: %d %s", w.Code, w.Body)
	}
	if w := b.do("POST", "/api/v1/system/selftest", "oper", `{}`); w.Code != 403 {
		t.Errorf("operator starting a selftest: %d, want 403 (admin only)", w.Code)
	}
	var list serverapi.TaskList
	w := b.do("GET", "/api/v1/tasks", "viewer", "")
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Items) != 1 || list.Items[0].ID != mine.ID {
		t.Errorf("viewer's list: %s", w.Body)
	}
	w = b.do("GET", "/api/v1/tasks", "admin", "")
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Items) != 2 {
		t.Errorf("admin's list (every tenant): %s", w.Body)
	}
}

func TestStartTaskRecordsCaller(t *testing.T) {
	b := setup(t)
	w := b.do("POST", "/api/v1/system/selftest", "admin", `{"duration_ms": 5, "steps": 2}`, "X-Request-ID", "r-1", "Idempotency-Key", "k")
	if w.Code != 202 || w.Header().Get("Location") == "" {
		t.Fatalf("selftest: %d %s", w.Code, w.Body)
	}
	s := b.tasks.specs[0]
	hash, _ := RequestHash("selftest", serverapi.SelftestRequest{DurationMS: 5, Steps: 2})
	want := task.Spec{Tenant: "default", Operation: "selftest", Target: arca.Target{Type: "system", ID: "selftest"},
		Params: []byte(`{"duration_ms":5,"steps":2}`), CreatedBy: "token:admin", RequestID: "r-1",
		IdempotencyKey: "k", RequestHash: hash}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
}

func TestRequestHashIgnoresSpelling(t *testing.T) {
	// The same request spelled two ways hashes the same; another request does not.
	b := setup(t)
	one := b.do("POST", "/api/v1/system/selftest", "admin", `{"steps":2,"duration_ms":5}`, "Idempotency-Key", "k")
	two := b.do("POST", "/api/v1/system/selftest", "admin", "{\n \"duration_ms\": 5, \"steps\": 2, \"fail\": false}", "Idempotency-Key", "k")
	three := b.do("POST", "/api/v1/system/selftest", "admin", `{"steps":3,"duration_ms":5}`, "Idempotency-Key", "k")
	if one.Code != 202 || two.Code != 202 || two.Header().Get("Idempotent-Replayed") != "true" || three.Code != 422 {
		t.Errorf("codes %d %d(%q) %d, want 202 202(replayed) 422", one.Code, two.Code, two.Header().Get("Idempotent-Replayed"), three.Code)
	}
}

func TestEventStreamKeepaliveAndEnd(t *testing.T) {
	b := setup(t, func(o *Options) { o.Keepalive = time.Millisecond })
	tk := b.tasks.add(arca.Task{Operation: "selftest", State: arca.TaskRunning})
	events := make(chan task.Event)
	b.tasks.events = events
	srv := httptest.NewServer(b.srv)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/tasks/"+tk.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer admin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	var got strings.Builder
	for !strings.Contains(got.String(), ": keepalive") {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("stream ended before a keepalive: %v\n%s", err, got.String())
		}
	}
	done := tk
	done.State = arca.TaskSucceeded
	events <- task.Event{Seq: 42, Task: done}
	close(events)
	rest, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(rest), "id: 42\nevent: task\ndata: {") || !strings.Contains(string(rest), `"state":"succeeded"`) {
		t.Errorf("terminal event missing or malformed:\n%s", rest)
	}
}

func TestBadLastEventID(t *testing.T) {
	b := setup(t)
	tk := b.tasks.add(arca.Task{Operation: "selftest"})
	w := b.do("GET", "/api/v1/tasks/"+tk.ID+"/events", "admin", "", "Last-Event-ID", "yesterday")
	if p := problem(t, w); w.Code != 400 || p.Errors[0].Field != "Last-Event-ID" {
		t.Errorf("bad Last-Event-ID: %d %+v", w.Code, p)
	}
}

func TestWaitParsing(t *testing.T) {
	s := New(Options{Tasks: newFakeTasks(), Auth: fakeAuth{}, Ready: pinger{}})
	for in, want := range map[string]time.Duration{"": 0, "30s": 30 * time.Second, "2.5": 2500 * time.Millisecond,
		"10m": time.Minute, "0": 0, "1e300": time.Minute, "Inf": time.Minute} {
		got, err := s.parseWait(in)
		if err != nil || got != want {
			t.Errorf("wait=%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1s", "soon", "NaN", "1e400"} {
		if _, err := s.parseWait(in); arca.ErrorCode(err) != arca.CodeInvalidArgument {
			t.Errorf("wait=%q: %v, want INVALID_ARGUMENT", in, err)
		}
	}
}

// TestDrainEndsLongPolls: at shutdown a long poll answers at once with the
// task's current state.
func TestDrainEndsLongPolls(t *testing.T) {
	b := setup(t)
	b.tasks.waiting = make(chan struct{})
	tk := b.tasks.add(arca.Task{Operation: "selftest", State: arca.TaskRunning})
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- b.do("GET", "/api/v1/tasks/"+tk.ID+"?wait=60s", "admin", "") }()
	<-b.tasks.waiting
	b.srv.Drain()
	w := <-done
	var got serverapi.Task
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != 200 || err != nil || got.State != "running" {
		t.Errorf("long poll at drain: %d %s", w.Code, w.Body)
	}
}
