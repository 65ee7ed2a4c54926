package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestBadRequests: every bad request gets a 4xx problem document with a
// code, a request id and a sentence; none gets a 5xx.
func TestBadRequests(t *testing.T) {
	ts := startServer(t, serverSetup{})
	missing := "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b"
	tests := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"unknown field", "POST", "/api/v1/system/selftest", `{"steps":1,"colour":"red"}`, 400, "INVALID_ARGUMENT", "colour"},
		{"wrong type", "POST", "/api/v1/system/selftest", `{"steps":"many"}`, 400, "INVALID_ARGUMENT", "steps"},
		{"out of range", "POST", "/api/v1/system/selftest", `{"steps":-1}`, 400, "INVALID_ARGUMENT", "steps"},
		{"not json", "POST", "/api/v1/system/selftest", `{steps`, 400, "INVALID_ARGUMENT", "body"},
		{"too large", "POST", "/api/v1/system/selftest", `{"steps":1,"x":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "PAYLOAD_TOO_LARGE", ""},
		{"bad id", "GET", "/api/v1/tasks/not-an-id", "", 400, "INVALID_ARGUMENT", "task_id"},
		{"unknown task", "GET", "/api/v1/tasks/" + missing, "", 404, "NOT_FOUND", ""},
		{"cancel unknown task", "POST", "/api/v1/tasks/" + missing + "/cancel", "", 404, "NOT_FOUND", ""},
		{"bad wait", "GET", "/api/v1/tasks/" + missing + "?wait=soon", "", 400, "INVALID_ARGUMENT", "wait"},
		{"bad limit", "GET", "/api/v1/tasks?limit=5000", "", 400, "INVALID_ARGUMENT", "limit"},
		{"bad state", "GET", "/api/v1/tasks?state=sleeping", "", 400, "INVALID_ARGUMENT", "state"},
		{"bad cursor", "GET", "/api/v1/tasks?cursor=zzz", "", 400, "INVALID_ARGUMENT", "cursor"},
		{"unknown query parameter", "GET", "/api/v1/tasks?colour=red", "", 400, "INVALID_ARGUMENT", "colour"},
		{"unknown route", "GET", "/api/v1/no-such-thing", "", 404, "NOT_FOUND", ""},
		{"wrong method", "PUT", "/api/v1/tasks", "", 405, "INVALID_ARGUMENT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			resp, err := ts.Client.Do(context.Background(), tt.method, tt.path, body, apiclient.RequestID("bad-"+strings.ReplaceAll(tt.name, " ", "-")))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			p := decodeProblem(t, resp)
			if resp.StatusCode != tt.status || p.Status != tt.status || p.Code != tt.code {
				t.Errorf("got %d %s (body status %d), want %d %s: %+v", resp.StatusCode, p.Code, p.Status, tt.status, tt.code, p)
			}
			if want := "bad-" + strings.ReplaceAll(tt.name, " ", "-"); p.RequestID != want || resp.Header.Get("X-Request-ID") != want {
				t.Errorf("request id: body %q, header %q, want %q", p.RequestID, resp.Header.Get("X-Request-ID"), want)
			}
			if p.Detail == "" || p.Title == "" || !strings.HasPrefix(p.Type, "urn:arca:problem:") {
				t.Errorf("problem lacks detail/title/type: %+v", p)
			}
			if tt.field != "" && !hasField(p, tt.field) {
				t.Errorf("problem does not name field %q: %+v", tt.field, p.Errors)
			}
		})
	}
}

func decodeProblem(t *testing.T, resp *http.Response) serverapi.Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p serverapi.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	return p
}

func hasField(p serverapi.Problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestAuthentication(t *testing.T) {
	ts := startServer(t, serverSetup{})
	ctx := context.Background()
	anon, _ := apiclient.New(ts.URL, apiclient.Options{})
	wrong, _ := apiclient.New(ts.URL, apiclient.Options{Token: newToken(t)})
	for name, c := range map[string]*apiclient.Client{"no token": anon, "unknown token": wrong} {
		resp, err := c.Do(ctx, http.MethodGet, "/api/v1/tasks", nil)
		if err != nil {
			t.Fatal(err)
		}
		p := decodeProblem(t, resp)
		resp.Body.Close()
		if resp.StatusCode != 401 || p.Code != "UNAUTHENTICATED" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %s, WWW-Authenticate %q; want 401 UNAUTHENTICATED with a challenge",
				name, resp.StatusCode, p.Code, resp.Header.Get("WWW-Authenticate"))
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/api/v1/openapi.json"} {
		resp, err := anon.Do(ctx, http.MethodGet, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s without a token: %d, want 200", path, resp.StatusCode)
		}
		if path == "/api/v1/openapi.json" && !contains(body, `"openapi":"3.1`) {
			t.Errorf("openapi.json is not OpenAPI 3.1: %.200s", body)
		}
		if h := resp.Header.Get("X-Content-Type-Options"); h != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", path, h)
		}
	}
	for _, path := range []string{"/api/v1/docs", "/docs"} {
		resp, err := anon.Do(ctx, http.MethodGet, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("%s serves a docs page; it must serve nothing", path)
		}
	}
	who, err := ts.Client.WhoAmI(ctx)
	if err != nil || who.Tenant != "default" || len(who.Roles) != 1 || who.Roles[0] != "admin" {
		t.Errorf("whoami with the bootstrap token: %+v, %v; want an admin of tenant default", who, err)
	}
}
