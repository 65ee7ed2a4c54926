package server

import (
	"net/http/httptest"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
)

// BenchmarkGetTask measures the HTTP layer of GET /api/v1/tasks/{id}
// (middleware, auth, huma, encoding) over the fake engine.
func BenchmarkGetTask(b *testing.B) {
	s := New(Options{Tasks: newFakeTasks(), Auth: fakeAuth{"admin": admin}, Ready: pinger{}})
	tk := s.opts.Tasks.(*fakeTasks).add(arca.Task{Operation: "selftest", State: arca.TaskRunning})
	r := httptest.NewRequest("GET", "/api/v1/tasks/"+tk.ID, nil)
	r.Header.Set("Authorization", "Bearer admin")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
