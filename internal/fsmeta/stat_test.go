package fsmeta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo/tree"
)

func TestOpenDirListsEveryEntrySorted(t *testing.T) {
	for _, c := range []struct {
		name  string
		names []string
	}{
		{"empty", nil},
		{"odd names", []string{"b", "a", ".hidden", "with space", "ünï", "\x01ctl", "-dash", strings.Repeat("L", 255)}},
		// Far more than one getdents call fills with the smallest buffer.
		{"many", manyNames(700)},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range c.names {
				if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			d, err := OpenDir(dir, make([]byte, MinDirBuf))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			want := slices.Sorted(slices.Values(c.names))
			if diff := cmp.Diff(want, d.Names); diff != "" && len(want)+len(d.Names) > 0 {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

func manyNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("file-with-a-longish-name-%05d", i)
	}
	return out
}

func TestOpenDirRefusesWhatIsNotADirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(".", link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want error
	}{
		{filepath.Join(dir, "missing"), fs.ErrNotExist},
		{file, unix.ENOTDIR},
		{link, unix.ENOTDIR}, // a symlink swapped in for a directory is not followed
	} {
		d, err := OpenDir(c.path, make([]byte, MinDirBuf))
		var pe *os.PathError
		if d != nil || !errors.Is(err, c.want) || !errors.As(err, &pe) || pe.Path != c.path {
			t.Errorf("OpenDir(%s) = %v, %v; want nil and a PathError matching %v", filepath.Base(c.path), d, err, c.want)
		}
	}
}

// TestNodeAtMatchesNode checks that the directory-relative path gives the
// same node as lstat by path, for every kind of entry.
func TestNodeAtMatchesNode(t *testing.T) {
	dir := t.TempDir()
	mk := []func(p string) error{
		func(p string) error { return os.WriteFile(p, []byte("content"), 0o640) },
		func(p string) error { return os.Mkdir(p, 0o750) },
		func(p string) error { return os.Symlink("some/where/"+strings.Repeat("x", 300), p) },
		func(p string) error { return unix.Mkfifo(p, 0o600) },
	}
	names := []string{"file", "dir", "symlink", "fifo"}
	for i, f := range mk {
		if err := f(filepath.Join(dir, names[i])); err != nil {
			t.Fatal(err)
		}
	}
	d, err := OpenDir(dir, make([]byte, MinDirBuf))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := NewReader()
	for _, name := range d.Names {
		p := filepath.Join(dir, name)
		var st unix.Stat_t
		if err := Lstatat(d.FD, name, p, &st); err != nil {
			t.Fatal(err)
		}
		got, err := r.NodeAt(d.FD, name, p, &st, nil)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := r.Node(p, fi)
		if err != nil {
			t.Fatal(err)
		}
		// Reading a link's target moves its access time.
		want.AccessTime, got.AccessTime = time.Time{}, time.Time{}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: NodeAt differs from Node (-want +got):\n%s", name, diff)
		}
		if IsDir(&st) != (name == "dir") {
			t.Errorf("%s: IsDir = %v", name, IsDir(&st))
		}
		if fs := FromStat(name, fi.Sys().(*syscall.Stat_t)); !cmp.Equal(fs.ModTime, got.ModTime) || fs.Type != got.Type {
			t.Errorf("%s: FromStat and FromUnixStat disagree", name)
		}
	}
	var st unix.Stat_t
	err = Lstatat(d.FD, "gone", filepath.Join(dir, "gone"), &st)
	var pe *os.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "lstat" || pe.Path != filepath.Join(dir, "gone") {
		t.Errorf("Lstatat of a missing entry = %v, want an lstat PathError for ErrNotExist", err)
	}
}

func TestNodeAtReusesXattrsOfAnUnchangedInode(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(dir, make([]byte, MinDirBuf))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := NewReader()
	node := func(prev *tree.Node) tree.Node {
		var st unix.Stat_t
		if err := Lstatat(d.FD, "f", filepath.Join(dir, "f"), &st); err != nil {
			t.Fatal(err)
		}
		n, err := r.NodeAt(d.FD, "f", filepath.Join(dir, "f"), &st, prev)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	sentinel := []tree.Xattr{{Name: "user.from-parent", Value: []byte("1")}}
	same := node(nil)
	same.Xattrs = sentinel
	other := same
	other.Inode++
	for _, c := range []struct {
		name  string
		prev  *tree.Node
		reuse bool
	}{
		{"same inode and ctime", &same, true},
		{"another inode", &other, false},
		{"no parent", nil, false},
	} {
		got := node(c.prev)
		if reused := cmp.Equal(got.Xattrs, sentinel); reused != c.reuse {
			t.Errorf("%s: parent's xattrs reused = %v, want %v", c.name, reused, c.reuse)
		}
	}
}
