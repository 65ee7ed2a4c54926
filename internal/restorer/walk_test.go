package restorer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/repo/tree"
)

func TestWalk(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	var want []string
	err := filepath.Walk(fx.src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Dir(fx.src), p)
		if fi.IsDir() && fi.Name() == "sub" {
			want = append(want, rel)
			return filepath.SkipDir
		}
		want = append(want, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = New(fx.mr).Walk(context.Background(), fx.root, "", func(p string, n *tree.Node) error {
		got = append(got, p)
		if n.Type == tree.TypeDir && n.Name == "sub" {
			return SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("walked paths (-want +got):\n%s", diff)
	}
}

func TestRestoreCanceled(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(fx.mr).Restore(ctx, fx.root, t.TempDir(), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Restore = %v, want context.Canceled", err)
	}
}
