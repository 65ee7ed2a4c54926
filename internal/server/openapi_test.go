package server

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOpenAPIDocument: the generated document is OpenAPI 3.1, lists every
// route, describes errors as problem documents, and needs no token.
func TestOpenAPIDocument(t *testing.T) {
	b := setup(t)
	w := b.do("GET", "/api/v1/openapi.json", "", "")
	if w.Code != 200 {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var routes []string
	for path, ops := range doc.Paths {
		for method := range ops {
			routes = append(routes, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(routes)
	want := []string{
		"DELETE /api/v1/tasks/{id}", "GET /api/v1/tasks", "GET /api/v1/tasks/{id}", "GET /api/v1/tasks/{id}/events",
		"GET /api/v1/whoami", "GET /healthz", "GET /readyz", "POST /api/v1/system/selftest", "POST /api/v1/tasks/{id}/cancel",
	}
	if diff := cmp.Diff(want, routes); diff != "" || doc.OpenAPI != "3.1.0" {
		t.Errorf("OpenAPI %s routes (-want +got):\n%s", doc.OpenAPI, diff)
	}
	if _, ok := doc.Components.Schemas["Problem"]; !ok {
		t.Errorf("no Problem schema")
	}
	if got := string(doc.Components.Schemas["ErrorModel"]); got != `{"$ref":"#/components/schemas/Problem"}` {
		t.Errorf("ErrorModel is %s, want a reference to Problem", got)
	}
	if strings.Contains(w.Body.String(), `"$schema"`) {
		t.Errorf("the document adds $schema properties to responses")
	}
}
