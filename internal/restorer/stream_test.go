package restorer

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo"
)

// archived is what the tests compare of one archive entry.
type archived struct {
	Kind    string // file, dir, symlink, link, char, block, fifo
	Mode    int64
	Content string // file content, symlink target, or hard link target
	Xattrs  string
}

// expected lists what an archive of src must hold, by slash path.
func expected(t *testing.T, src string, zipped bool) map[string]archived {
	t.Helper()
	out := map[string]archived{}
	firsts := map[uint64]string{}
	var paths []string
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p != src {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths) // the archive's order: byte-wise, a directory before its entries
	for _, p := range paths {
		rel, _ := filepath.Rel(src, p)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		a := archived{Mode: int64(st.Mode & 0o7777)}
		switch {
		case fi.Mode().IsRegular():
			a.Kind = "file"
			data, _ := os.ReadFile(p)
			a.Content = string(data)
			if st.Nlink > 1 && !zipped {
				if first, ok := firsts[st.Ino]; ok {
					a.Kind, a.Content = "link", first
				} else {
					firsts[st.Ino] = rel
				}
			}
		case fi.IsDir():
			a.Kind = "dir"
		case fi.Mode()&os.ModeSymlink != 0:
			a.Kind, a.Mode = "symlink", 0o777
			a.Content, _ = os.Readlink(p)
		case fi.Mode()&os.ModeCharDevice != 0:
			a.Kind = "char"
		case fi.Mode()&os.ModeDevice != 0:
			a.Kind = "block"
		case fi.Mode()&os.ModeNamedPipe != 0:
			a.Kind = "fifo"
		default:
			continue // sockets are left out
		}
		if zipped && (a.Kind == "char" || a.Kind == "block" || a.Kind == "fifo") {
			continue
		}
		if zipped && a.Kind != "symlink" {
			a.Mode &= 0o7777
		}
		if !zipped && a.Kind != "symlink" {
			a.Xattrs = xattrString(t, p)
		}
		out[rel] = a
	}
	return out
}

func xattrString(t *testing.T, p string) string {
	sz, err := unix.Llistxattr(p, nil)
	if err != nil || sz == 0 {
		return ""
	}
	buf := make([]byte, sz)
	sz, _ = unix.Llistxattr(p, buf)
	var parts []string
	for _, name := range strings.Split(strings.TrimRight(string(buf[:sz]), "\x00"), "\x00") {
		v := make([]byte, 256)
		n, _ := unix.Lgetxattr(p, name, v)
		parts = append(parts, name+"="+string(v[:n]))
	}
	sort.Strings(parts)
	return strings.Join(parts, ";")
}

func TestWriteTar(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	var buf bytes.Buffer
	res, err := New(fx.mr).WriteTar(context.Background(), &buf, fx.root, StreamOptions{Path: fx.base})
	if err != nil {
		t.Fatal(err)
	}
	if res.FailureCount != 1 || res.Failures[0].Path != "socket" {
		t.Errorf("failures %v, want the socket only", res.Failures)
	}
	got := map[string]archived{}
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		a := archived{Mode: hdr.Mode}
		switch hdr.Typeflag {
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			a.Kind, a.Content = "file", string(data)
		case tar.TypeDir:
			a.Kind = "dir"
		case tar.TypeSymlink:
			a.Kind, a.Content = "symlink", hdr.Linkname
		case tar.TypeLink:
			a.Kind, a.Content = "link", hdr.Linkname
		case tar.TypeChar:
			a.Kind = "char"
		case tar.TypeBlock:
			a.Kind = "block"
		case tar.TypeFifo:
			a.Kind = "fifo"
		}
		var xs []string
		for k, v := range hdr.PAXRecords {
			if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
				xs = append(xs, name+"="+v)
			}
		}
		sort.Strings(xs)
		a.Xattrs = strings.Join(xs, ";")
		got[strings.TrimSuffix(hdr.Name, "/")] = a
	}
	if diff := cmp.Diff(expected(t, fx.src, false), got); diff != "" {
		t.Errorf("tar content (-want +got):\n%s", diff)
	}
}

func TestWriteZip(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	var buf bytes.Buffer
	if _, err := New(fx.mr).WriteZip(context.Background(), &buf, fx.root, StreamOptions{Path: fx.base}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]archived{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		m := f.Mode()
		a := archived{Mode: int64(m.Perm()), Content: string(data)}
		if m&os.ModeSetuid != 0 {
			a.Mode |= 0o4000
		}
		if m&os.ModeSetgid != 0 {
			a.Mode |= 0o2000
		}
		if m&os.ModeSticky != 0 {
			a.Mode |= 0o1000
		}
		switch {
		case m.IsDir():
			a.Kind = "dir"
		case m&os.ModeSymlink != 0:
			a.Kind = "symlink"
		default:
			a.Kind = "file"
		}
		got[strings.TrimSuffix(f.Name, "/")] = a
	}
	if diff := cmp.Diff(expected(t, fx.src, true), got); diff != "" {
		t.Errorf("zip content (-want +got):\n%s", diff)
	}
}

func TestStreamDamagedBlobFails(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	tr := loadTreeT(t, fx.mr, fx.root)
	data := loadTreeT(t, fx.mr, repo.ID(*tr.Find(fx.base).Subtree))
	fx.mr.Damage(repo.DataBlob, repo.ID(data.Find("big.bin").Content[0]))
	for name, write := range map[string]func(context.Context, io.Writer, repo.ID, StreamOptions) (*Result, error){
		"tar": New(fx.mr).WriteTar, "zip": New(fx.mr).WriteZip,
	} {
		_, err := write(context.Background(), io.Discard, fx.root, StreamOptions{})
		if !errors.Is(err, repo.ErrIntegrity) || !strings.Contains(err.Error(), "big.bin") {
			t.Errorf("%s: err = %v, want an integrity error naming big.bin", name, err)
		}
	}
}

func TestWriteContent(t *testing.T) {
	t.Parallel()
	fx := backupFixture(t)
	tr := loadTreeT(t, fx.mr, fx.root)
	data := loadTreeT(t, fx.mr, repo.ID(*tr.Find(fx.base).Subtree))
	var buf bytes.Buffer
	if err := New(fx.mr).WriteContent(context.Background(), &buf, data.Find("big.bin")); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(fx.src, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("WriteContent gave %d bytes, not the file's %d", buf.Len(), len(want))
	}
	short := *data.Find("big.bin")
	short.Size++
	if err := New(fx.mr).WriteContent(context.Background(), io.Discard, &short); !errors.Is(err, repo.ErrIntegrity) {
		t.Errorf("content shorter than the size: err = %v, want ErrIntegrity", err)
	}
}
