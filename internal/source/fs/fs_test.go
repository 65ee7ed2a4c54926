package fs

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

func settings(paths ...string) json.RawMessage {
	b, _ := json.Marshal(Settings{Paths: paths})
	return b
}

func TestValidate(t *testing.T) {
	root := t.TempDir()
	d := Driver{}
	for name, tc := range map[string]struct {
		raw  json.RawMessage
		want arca.Code
	}{
		"inside":          {settings(filepath.Join(root, "data")), ""},
		"the root itself": {settings(root), ""},
		"relative":        {settings("data"), arca.CodeInvalidArgument},
		"no paths":        {settings(), arca.CodeInvalidArgument},
		"unknown setting": {json.RawMessage(`{"paths":["/x"],"colour":"red"}`), arca.CodeInvalidArgument},
		"not an object":   {json.RawMessage(`[1]`), arca.CodeInvalidArgument},
	} {
		err := d.Validate(tc.raw)
		if got := arca.ErrorCode(err); (err == nil) != (tc.want == "") || (err != nil && got != tc.want) {
			t.Errorf("%s: Validate = %v, want code %q", name, err, tc.want)
		}
	}
}

func TestReadPaths(t *testing.T) {
	got, err := (Driver{}).ReadPaths(settings("/a", "/b"))
	if err != nil || len(got) != 2 || got[0] != "/a" || got[1] != "/b" {
		t.Errorf("ReadPaths = %v, %v", got, err)
	}
}

func TestProbe(t *testing.T) {
	dir := t.TempDir()
	ok := source.Config{Source: arca.Source{Name: "s", Settings: settings(dir)}}
	if err := (Driver{}).Probe(context.Background(), ok); err != nil {
		t.Errorf("Probe of a readable dir: %v", err)
	}
	missing := source.Config{Source: arca.Source{Name: "s", Settings: settings(filepath.Join(dir, "gone"))}}
	if err := (Driver{}).Probe(context.Background(), missing); arca.ErrorCode(err) != arca.CodeUnavailable {
		t.Errorf("Probe of a missing dir = %v, want UNAVAILABLE", err)
	}
}
