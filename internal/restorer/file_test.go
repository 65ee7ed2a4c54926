package restorer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// Files are written with holes for all-zero blobs and truncated only when
// they end in one: every layout must still give the right bytes and size,
// through the sequential (fewer than 4 blobs) and the parallel path.
func TestHolesGiveTheRightBytes(t *testing.T) {
	t.Parallel()
	zeros := strings.Repeat("\x00", 3000)
	moreZeros := strings.Repeat("\x00", 5000)
	tests := []struct {
		name  string
		blobs []string
	}{
		{"sequential, ends in a hole", []string{"head", zeros}},
		{"sequential, starts with a hole", []string{zeros, "tail"}},
		{"sequential, only holes", []string{zeros, moreZeros}},
		{"sequential, hole then empty blob", []string{"head", zeros, ""}},
		{"parallel, ends in a hole", []string{"a", "b", zeros, "c", moreZeros}},
		{"parallel, holes inside", []string{zeros, "a", moreZeros, "b", "c"}},
		{"parallel, only holes", []string{zeros, moreZeros, zeros + "\x00", moreZeros + "\x00"}},
		{"parallel, hole then empty blob", []string{"a", "b", "c", zeros, ""}},
	}
	mr := archivertest.NewMemRepo()
	var nodes []tree.Node
	want := map[string]string{}
	for i, tc := range tests {
		name := fmt.Sprintf("f%d", i)
		n := tree.Node{Name: name, Type: tree.TypeFile, Mode: 0o644}
		for _, b := range tc.blobs {
			n.Content = append(n.Content, saveData(t, mr, b))
			n.Size += uint64(len(b))
		}
		nodes = append(nodes, n)
		want[name] = strings.Join(tc.blobs, "")
	}
	root := saveTree(t, mr, nodes...)
	target := t.TempDir()
	res := restoreOK(t, mr, repo.ID(root), target, Options{})
	if res.FailureCount != 0 {
		t.Fatalf("failures: %v", res.Failures)
	}
	for i, tc := range tests {
		got, err := os.ReadFile(filepath.Join(target, fmt.Sprintf("f%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte(want[fmt.Sprintf("f%d", i)])) {
			t.Errorf("%s: got %d bytes, want %d (content differs)", tc.name, len(got), len(want[fmt.Sprintf("f%d", i)]))
		}
	}
}

// cancellingRepo cancels the restore's context at the n-th data blob load.
type cancellingRepo struct {
	*archivertest.MemRepo
	cancel context.CancelFunc
	at     int64
	loads  atomic.Int64
}

func (c *cancellingRepo) LoadBlob(ctx context.Context, t repo.BlobType, id repo.ID, buf []byte) ([]byte, error) {
	if t == repo.DataBlob && c.loads.Add(1) == c.at {
		c.cancel()
		return nil, context.Canceled
	}
	return c.MemRepo.LoadBlob(ctx, t, id, buf)
}

// A cancelled restore leaves no file with missing bytes behind: files
// created but not yet written are removed, as are those being written.
func TestCancelLeavesNoPartialFiles(t *testing.T) {
	t.Parallel()
	mr := archivertest.NewMemRepo()
	want := map[string]string{}
	var dirs []tree.Node
	for d := range 4 {
		var files []tree.Node
		for f := range 100 {
			content := fmt.Sprintf("file %d of directory %d\n", f, d)
			name := fmt.Sprintf("f%03d", f)
			files = append(files, tree.Node{Name: name, Type: tree.TypeFile, Mode: 0o644,
				Size: uint64(len(content)), Content: []tree.ID{saveData(t, mr, content)}})
			want[fmt.Sprintf("d%d/%s", d, name)] = content
		}
		sub := saveTree(t, mr, files...)
		dirs = append(dirs, tree.Node{Name: fmt.Sprintf("d%d", d), Type: tree.TypeDir, Mode: 0o755, Subtree: &sub})
	}
	root := saveTree(t, mr, dirs...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cr := &cancellingRepo{MemRepo: mr, cancel: cancel, at: 150}
	target := t.TempDir()
	_, err := New(cr).Restore(ctx, repo.ID(root), target, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Restore: %v, want context.Canceled", err)
	}
	var bad []string
	files := 0
	err = filepath.WalkDir(target, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		files++
		rel, _ := filepath.Rel(target, p)
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if string(got) != want[filepath.ToSlash(rel)] {
			bad = append(bad, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string(nil), bad); diff != "" {
		t.Errorf("files with wrong content after cancel (-want +got):\n%s", diff)
	}
	if files >= len(want) {
		t.Errorf("%d files restored of %d: the cancel came too late to test anything", files, len(want))
	}
}

// A file skips its chown only when the chown would change nothing: in a
// directory that inherits another group (setgid), the snapshot's group
// must still be set.
func TestOwnerUnderSetgidDirectory(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("restoring owners needs root")
	}
	mr := archivertest.NewMemRepo()
	data := saveData(t, mr, "owned\n")
	file := tree.Node{Name: "f", Type: tree.TypeFile, Mode: 0o644, Size: 6, Content: []tree.ID{data},
		UID: uint32(os.Geteuid()), GID: uint32(os.Getegid())}
	sub := saveTree(t, mr, file)
	root := saveTree(t, mr, file, tree.Node{Name: "d", Type: tree.TypeDir, Mode: 0o755, Subtree: &sub})

	target := t.TempDir()
	const otherGID = 4242
	if err := os.Chown(target, 0, otherGID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(target, 0o755|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	res := restoreOK(t, mr, repo.ID(root), target, Options{})
	if res.FailureCount != 0 {
		t.Fatalf("failures: %v", res.Failures)
	}
	got := map[string]uint32{}
	for _, p := range []string{"f", "d/f"} {
		fi, err := os.Lstat(filepath.Join(target, p))
		if err != nil {
			t.Fatal(err)
		}
		got[p] = fi.Sys().(*syscall.Stat_t).Gid
	}
	want := map[string]uint32{"f": file.GID, "d/f": file.GID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}
