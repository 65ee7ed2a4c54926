package checker_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/checker"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/repo/repotest"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// fixture is a real repository on a local store in a temporary directory,
// so tests can damage its files on disk.
type fixture struct {
	t     *testing.T
	dir   string
	store *local.Store
	r     *repo.Repository
	rnd   *rand.Rand
	// layouts records, per snapshot, the blobs of every file and the tree
	// of every directory ("/" is the root), for computing expectations.
	layouts map[repo.ID]layout
	cur     layout
}

type layout struct {
	files map[string][]repo.ID
	dirs  map[string]repo.ID
}

const chunk = 3000 // bytes per data blob: a few blobs per 8 KiB pack

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	store, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(context.Background(), store, repotest.Password, repo.InitOptions{
		KDF:         repotest.FastKDF,
		Compression: repo.CompressionOff,
		Open:        repo.OpenOptions{PackSize: 8 << 10, Packers: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return &fixture{t: t, dir: dir, store: store, r: r, rnd: rand.New(rand.NewPCG(1, 2)), layouts: map[repo.ID]layout{}}
}

// reopen opens the repository anew (reloading the index).
func (f *fixture) reopen() {
	f.t.Helper()
	r, err := repo.Open(context.Background(), f.store, repotest.Password, repo.OpenOptions{PackSize: 8 << 10, Packers: 1})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { r.Close() })
	f.r = r
}

// content returns n random (incompressible) bytes.
func (f *fixture) content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(f.rnd.Uint32())
	}
	return b
}

// snapshot stores files (slash-separated paths → content) as a snapshot,
// cutting content into fixed chunks, and returns its id.
func (f *fixture) snapshot(files map[string][]byte) repo.ID {
	f.t.Helper()
	ctx := context.Background()
	f.cur = layout{files: map[string][]repo.ID{}, dirs: map[string]repo.ID{}}
	root := f.saveTree(ctx, "", files)
	if err := f.r.Flush(ctx); err != nil {
		f.t.Fatal(err)
	}
	id, err := f.r.SaveSnapshot(ctx, &repo.Snapshot{Time: time.Now(), Hostname: "h", Paths: []string{"/"}, Tree: root})
	if err != nil {
		f.t.Fatal(err)
	}
	f.layouts[id] = f.cur
	return id
}

func (f *fixture) saveTree(ctx context.Context, dir string, files map[string][]byte) repo.ID {
	var t tree.Tree
	subdirs := map[string]bool{}
	for p, data := range files {
		rel, ok := strings.CutPrefix(p, dir)
		if !ok {
			continue
		}
		if name, _, isDir := strings.Cut(rel, "/"); isDir {
			subdirs[name] = true
			continue
		}
		n := tree.Node{Name: rel, Type: tree.TypeFile, Mode: 0o644, Size: uint64(len(data))}
		for off := 0; off < len(data); off += chunk {
			id, _, err := f.r.SaveBlob(ctx, repo.DataBlob, data[off:min(off+chunk, len(data))])
			if err != nil {
				f.t.Fatal(err)
			}
			n.Content = append(n.Content, id)
		}
		t.Nodes = append(t.Nodes, n)
		ids := make([]repo.ID, len(n.Content))
		for i, c := range n.Content {
			ids[i] = c
		}
		f.cur.files["/"+p] = ids
	}
	for name := range subdirs {
		sub := f.saveTree(ctx, dir+name+"/", files)
		t.Nodes = append(t.Nodes, tree.Node{Name: name, Type: tree.TypeDir, Mode: 0o755, Subtree: (*tree.ID)(&sub)})
	}
	t.Sort()
	enc, err := tree.Encode(&t)
	if err != nil {
		f.t.Fatal(err)
	}
	id, _, err := f.r.SaveBlob(ctx, repo.TreeBlob, enc)
	if err != nil {
		f.t.Fatal(err)
	}
	f.cur.dirs["/"+strings.TrimSuffix(dir, "/")] = id
	return id
}

// expectAffected computes what Check must report as affected when the
// blobs in bad are lost: per snapshot, the outermost directories whose
// tree is lost and the files (outside those) with a lost data blob.
func (f *fixture) expectAffected(bad map[repo.ID]bool) []checker.AffectedSnapshot {
	var out []checker.AffectedSnapshot
	for id, l := range f.layouts {
		a := checker.AffectedSnapshot{Snapshot: id}
		lostDir := func(p string) bool {
			for d, tid := range l.dirs {
				if bad[tid] && d != p && (d == "/" || strings.HasPrefix(p, d+"/")) {
					return true
				}
			}
			return false
		}
		for d, tid := range l.dirs {
			if bad[tid] && !lostDir(d) {
				a.Dirs = append(a.Dirs, d)
			}
		}
		for p, ids := range l.files {
			if lostDir(p) {
				continue
			}
			for _, b := range ids {
				if bad[b] {
					a.Files = append(a.Files, p)
					break
				}
			}
		}
		if len(a.Files)+len(a.Dirs) > 0 {
			sort.Strings(a.Files)
			sort.Strings(a.Dirs)
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Snapshot.String() < out[j].Snapshot.String() })
	return out
}

// packOf returns where the first blob of content is stored.
func (f *fixture) packOf(t repo.BlobType, plaintext []byte) repo.PackedBlob {
	f.t.Helper()
	for id := range f.idsOf(t, plaintext) {
		pb, ok := f.r.LookupBlob(t, id)
		if !ok {
			f.t.Fatalf("blob %s not in the index", id.Short())
		}
		return pb
	}
	f.t.Fatal("no blob")
	return repo.PackedBlob{}
}

// blobsIn counts the index entries in pack.
func (f *fixture) blobsIn(pack repo.ID) int {
	n := 0
	_ = f.r.EachBlob(func(b repo.PackedBlob) error {
		if b.Pack == pack {
			n++
		}
		return nil
	})
	return n
}

// idsOf finds the ids of content's chunks by scanning the index for the
// blob whose plaintext matches (the id key is private to the repository).
func (f *fixture) idsOf(t repo.BlobType, plaintext []byte) map[repo.ID]bool {
	f.t.Helper()
	want := plaintext[:min(chunk, len(plaintext))]
	out := map[repo.ID]bool{}
	var all []repo.PackedBlob
	f.r.EachBlob(func(pb repo.PackedBlob) error { all = append(all, pb); return nil })
	for _, pb := range all {
		if pb.Type != t {
			continue
		}
		got, err := f.r.LoadBlob(context.Background(), t, pb.ID, nil)
		if err == nil && string(got) == string(want) {
			out[pb.ID] = true
		}
	}
	return out
}

func (f *fixture) packPath(id repo.ID) string {
	s := id.String()
	return filepath.Join(f.dir, "data", s[:2], s)
}

// flip inverts one byte of a pack file on disk.
func (f *fixture) flip(pack repo.ID, offset int64) {
	f.t.Helper()
	p := f.packPath(pack)
	b, err := os.ReadFile(p)
	if err != nil {
		f.t.Fatal(err)
	}
	b[offset] ^= 0xff
	if err := os.Chmod(p, 0o644); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// indexObjects lists the index object names on disk.
func (f *fixture) indexObjects() []string {
	f.t.Helper()
	var names []string
	entries, _ := os.ReadDir(filepath.Join(f.dir, "index"))
	for _, e := range entries {
		names = append(names, path.Join("index", e.Name()))
	}
	sort.Strings(names)
	return names
}
