package fs

import (
	"context"
	"encoding/json"
	"os"
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
	root, outside := t.TempDir(), t.TempDir()
	link := filepath.Join(root, "escape")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	d := Driver{Roots: []string{root}}
	for name, tc := range map[string]struct {
		raw  json.RawMessage
		want arca.Code
	}{
		"inside":           {settings(filepath.Join(root, "data")), ""},
		"the root itself":  {settings(root), ""},
		"outside":          {settings(outside), arca.CodeInvalidArgument},
		"dot-dot":          {settings(root + "/../x"), arca.CodeInvalidArgument},
		"through symlink":  {settings(filepath.Join(link, "x")), arca.CodeInvalidArgument},
		"relative":         {settings("data"), arca.CodeInvalidArgument},
		"no paths":         {settings(), arca.CodeInvalidArgument},
		"unknown setting":  {json.RawMessage(`{"paths":["/x"],"colour":"red"}`), arca.CodeInvalidArgument},
		"not an object":    {json.RawMessage(`[1]`), arca.CodeInvalidArgument},
		"unrestricted out": {settings(outside), ""},
	} {
		drv := d
		if name == "unrestricted out" {
			drv = Driver{}
		}
		err := drv.Validate(tc.raw)
		if got := arca.ErrorCode(err); (err == nil) != (tc.want == "") || (err != nil && got != tc.want) {
			t.Errorf("%s: Validate = %v, want code %q", name, err, tc.want)
		}
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
