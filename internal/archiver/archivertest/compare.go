package archivertest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/fsmeta"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// Entry is what CompareDirs compares of one file.
type Entry struct {
	Type      tree.Type
	Mode      uint32
	UID, GID  uint32
	Size      uint64
	ModTime   string // RFC 3339 with nanoseconds; empty for directories unless withDirTimes
	Target    string
	Device    uint64
	Xattrs    string
	Content   string // SHA-free: the bytes themselves, for small files; a length otherwise
	LinkGroup string // the first path (sorted) of the file's hard-link group
}

// Scan describes every entry below dir by path.
func Scan(t testing.TB, dir string, dirTimes bool) map[string]Entry {
	t.Helper()
	out := map[string]Entry{}
	inodes := map[uint64][]string{}
	r := fsmeta.NewReader()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		n, err := r.Node(p, fi)
		if err != nil {
			return err
		}
		e := Entry{Type: n.Type, Mode: n.Mode, UID: n.UID, GID: n.GID, Size: n.Size,
			Target: n.LinkTarget, Device: n.Device, Xattrs: fmt.Sprint(n.Xattrs)}
		if n.Type != tree.TypeDir || dirTimes {
			e.ModTime = n.ModTime.Format("2006-01-02T15:04:05.999999999Z07:00")
		}
		if n.Type == tree.TypeFile {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.Content = contentKey(data)
			if n.Links > 1 {
				ino := fi.Sys().(*syscall.Stat_t).Ino
				inodes[ino] = append(inodes[ino], rel)
			}
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	for _, paths := range inodes {
		if len(paths) < 2 {
			continue // linked from outside the scanned tree only
		}
		sort.Strings(paths)
		for _, p := range paths {
			e := out[p]
			e.LinkGroup = paths[0]
			out[p] = e
		}
	}
	return out
}

func contentKey(data []byte) string {
	if len(data) <= 64 {
		return string(data)
	}
	return fmt.Sprintf("%d bytes, %x...%x, zeros %d", len(data), data[:16], data[len(data)-16:], bytes.Count(data, []byte{0}))
}

// CompareDirs fails t when the trees below want and got differ in any
// entry's type, mode, owner, size, mtime, link target, device, xattrs,
// content or hard-link grouping.
func CompareDirs(t testing.TB, want, got string, dirTimes bool) {
	t.Helper()
	if diff := cmp.Diff(Scan(t, want, dirTimes), Scan(t, got, dirTimes)); diff != "" {
		t.Errorf("restored tree differs (-want +got):\n%s", diff)
	}
}
