package archiver

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/archiver/archivertest"
)

func TestWalkedBefore(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"/r/a", "/r/b", true},
		{"/r/b", "/r/a", false},
		{"/r/a", "/r/a", false},
		{"/r", "/r/a", true},      // a directory before what is inside it
		{"/r/a/z", "/r/b", true},  // all of a before b
		{"/r/a/z", "/r/a-", true}, // by component: "a" < "a-", though '/' > '-'
		{"/r/a-", "/r/a/z", false},
		{"/r/b", "/r/a/z", false},
	} {
		if got := walkedBefore(c.a, c.b); got != c.want {
			t.Errorf("walkedBefore(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func mkdirs(t *testing.T, root string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, d, "f"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListingTakeFollowsTheWalk(t *testing.T) {
	ctx := context.Background()
	one, two := t.TempDir(), t.TempDir()
	mkdirs(t, one, "a/x", "a-", "b", "c")
	mkdirs(t, two, "d")
	roots := []root{{path: one, name: "one"}, {path: two, name: "two"}}
	excl, err := NewMatcher([]string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	l := startListing(ctx, roots, excl, SnapshotOptions{Excludes: []string{"c"}})
	defer l.Stop()
	steps := []struct {
		root  int
		path  string
		names []string // nil: not served
	}{
		{0, one, []string{"a", "a-", "b", "c"}},
		{0, one + "/a", []string{"x"}},
		{0, one + "/a/x", []string{"f"}},
		// The walker left a- out: its listing is dropped on the way to b.
		{0, one + "/b", []string{"f"}},
		{0, one + "/bb", nil}, // not listed (made after the listing): the walker lists it
		{0, one + "/c", nil},  // excluded: never listed
		{1, two, []string{"d"}},
		{1, two + "/d", []string{"f"}},
		{1, two + "/e", nil}, // the listing is over
	}
	for _, s := range steps {
		d := l.take(ctx, s.root, s.path)
		var got []string
		if d != nil {
			got = d.names
			for i, err := range d.errs {
				if err != nil {
					t.Errorf("%s: lstat %s: %v", s.path, d.names[i], err)
				}
			}
		}
		if diff := cmp.Diff(s.names, got); diff != "" {
			t.Errorf("take(%s) names (-want +got):\n%s", s.path, diff)
		}
	}
}

func TestSnapshotWithAListingStartedEarlier(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	archivertest.MakeFixture(t, dir)
	mkdirs(t, dir, "deep/er/still", "skip/me")
	opts := SnapshotOptions{Excludes: []string{"skip"}}
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	want := backup(t, a, []string{dir}, opts)
	for _, c := range []struct {
		name    string
		listing *Listing
	}{
		{"same paths and patterns", StartListing(context.Background(), []string{dir}, opts)},
		{"other patterns: ignored", StartListing(context.Background(), []string{dir}, SnapshotOptions{})},
		{"other paths: ignored", StartListing(context.Background(), []string{dir + "/deep"}, opts)},
	} {
		o := opts
		o.Listing = c.listing
		o.Parent = &want.ID
		got := backup(t, a, []string{dir}, o)
		if got.Snapshot.Tree != want.Snapshot.Tree || len(got.Warnings) != 0 {
			t.Errorf("%s: tree %s, warnings %v; want the tree %s of a backup without",
				c.name, got.Snapshot.Tree.Short(), got.Warnings, want.Snapshot.Tree.Short())
		}
		if st := got.Snapshot.Stats; st.FilesNew+st.FilesChanged != 0 {
			t.Errorf("%s: %d new and %d changed files, want none", c.name, st.FilesNew, st.FilesChanged)
		}
	}
	if l := StartListing(context.Background(), nil, opts); l != nil {
		t.Error("StartListing without paths is not nil")
		l.Stop()
	}
	if l := StartListing(context.Background(), []string{dir}, SnapshotOptions{Excludes: []string{"["}}); l != nil {
		t.Error("StartListing with a bad pattern is not nil")
		l.Stop()
	}
}
