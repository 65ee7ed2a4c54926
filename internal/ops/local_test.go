package ops

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/arcabackup/arca/internal/arca"
	sourcefs "github.com/arcabackup/arca/internal/source/fs"
)

func TestCheckLocalHoldsFilesToTheReadRoots(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	link := filepath.Join(root, "escape")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	paths := func(ps ...string) json.RawMessage {
		b, _ := json.Marshal(sourcefs.Settings{Paths: ps})
		return b
	}
	restricted := &Service{opts: Options{ReadRoots: []string{root}}}
	open := &Service{}
	for name, tc := range map[string]struct {
		svc  *Service
		raw  json.RawMessage
		want arca.Code
	}{
		"inside":             {restricted, paths(filepath.Join(root, "data")), ""},
		"the root itself":    {restricted, paths(root), ""},
		"outside":            {restricted, paths(outside), arca.CodeInvalidArgument},
		"one of two outside": {restricted, paths(root, outside), arca.CodeInvalidArgument},
		"dot-dot":            {restricted, paths(root + "/../x"), arca.CodeInvalidArgument},
		"through a symlink":  {restricted, paths(filepath.Join(link, "x")), arca.CodeInvalidArgument},
		"no roots":           {open, paths(outside), ""},
	} {
		err := tc.svc.checkLocal(sourcefs.Driver{}, arca.SourceFS, tc.raw)
		if got := arca.ErrorCode(err); (err == nil) != (tc.want == "") || (err != nil && got != tc.want) {
			t.Errorf("%s: checkLocal = %v, want code %q", name, err, tc.want)
		}
	}
	if err := open.checkLocal(sourcefs.Driver{}, arca.SourceCommand, nil); arca.ErrorCode(err) != arca.CodeInvalidArgument {
		t.Errorf("a command source without AllowCommands: %v", err)
	}
}
