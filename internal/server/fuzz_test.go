package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
)

// FuzzTaskRequests drives the task endpoints with random methods, ids,
// query strings, headers and bodies. The invariant: never a 5xx, and every
// 4xx is a problem document with a code and a request id.
func FuzzTaskRequests(f *testing.F) {
	f.Add(uint8(0), "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b", "wait=1s", "", "")
	f.Add(uint8(1), "", "state=running,queued&limit=5", "", "")
	f.Add(uint8(2), "x", "", `{"steps":1}`, "k")
	f.Add(uint8(3), "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b", "", `{"steps":"x","fail":1}`, "")
	f.Add(uint8(4), "%00", "cursor=%ff&limit=-1", `[]`, "")
	f.Add(uint8(5), "../../etc", "wait=9999999999999999999s", `{"duration_ms":1e99}`, "\x00")
	f.Add(uint8(6), "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b", "", "", "1")
	f.Fuzz(func(t *testing.T, route uint8, id, query, body, extra string) {
		b := setup(t)
		known := b.tasks.add(arca.Task{Operation: "selftest", State: arca.TaskSucceeded})
		if id == "known" {
			id = known.ID
		}
		method, path := fuzzRoute(route, id)
		target := path
		if query != "" {
			target += "?" + query
		}
		if strings.ContainsAny(target, " \t\r\n#") || !strings.HasPrefix(target, "/") {
			return // not a request line a client can send
		}
		r, err := newFuzzRequest(method, target, body)
		if err != nil {
			return
		}
		r.Header.Set("Authorization", "Bearer admin")
		r.Header.Set("Idempotency-Key", extra)
		r.Header.Set("Last-Event-ID", extra)
		r.Header.Set("X-Request-ID", extra)
		w := httptest.NewRecorder()
		b.srv.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s body %q: %d %s", method, target, body, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var p struct {
				Code      string `json:"code"`
				RequestID string `json:"request_id"`
			}
			if ct := w.Header().Get("Content-Type"); ct != problemContentType {
				t.Fatalf("%s %s: %d with Content-Type %q", method, target, w.Code, ct)
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code == "" || p.RequestID == "" {
				t.Fatalf("%s %s: %d with a bad problem %q (%v)", method, target, w.Code, w.Body, err)
			}
		}
	})
}

func fuzzRoute(route uint8, id string) (string, string) {
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/tasks/" + id},
		{"GET", "/api/v1/tasks"},
		{"POST", "/api/v1/system/selftest"},
		{"POST", "/api/v1/tasks/" + id + "/cancel"},
		{"DELETE", "/api/v1/tasks/" + id},
		{"GET", "/api/v1/tasks/" + id + "/events"},
		{"PATCH", "/api/v1/tasks/" + id},
	}
	r := routes[int(route)%len(routes)]
	return r.method, r.path
}

func newFuzzRequest(method, target, body string) (*http.Request, error) {
	return http.NewRequest(method, "http://arca.test"+target, strings.NewReader(body))
}
