package local

import (
	"context"
	"os"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
)

func TestMakeDirs(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.MakeDirs(ctx, []string{"data/00/", "data/ff/", "index/"}); err != nil {
		t.Fatalf("MakeDirs: %v", err)
	}
	for _, d := range []string{"data/00", "data/ff", "index"} {
		if fi, err := os.Stat(s.path(d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v, want a directory", d, err)
		}
	}
	n := 0
	if err := s.List(ctx, "", func(blob.Info) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("List after MakeDirs: %d objects, %v; want none (directories are not objects)", n, err)
	}
	if err := s.Put(ctx, "data/ff/abc", []byte("x")); err != nil {
		t.Errorf("Put into a made directory: %v", err)
	}
	if err := s.MakeDirs(ctx, []string{"data/00/"}); err != nil {
		t.Errorf("MakeDirs again: %v", err)
	}
}
