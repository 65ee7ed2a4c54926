package repo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/repotest"
	"github.com/google/go-cmp/cmp"
)

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 99))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func textBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	words := []string{"backup", "restore", "snapshot", "level=info", "msg=", "pack", "index", "2026-11-23T09:00:00Z", "\n"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

type saved struct {
	t    repo.BlobType
	id   repo.ID
	data []byte
}

func saveSome(t *testing.T, r *repo.Repository, n int, seed uint64) []saved {
	t.Helper()
	ctx := context.Background()
	var out []saved
	for i := 0; i < n; i++ {
		var data []byte
		typ := repo.DataBlob
		switch i % 3 {
		case 0:
			data = randBytes(seed+uint64(i), 1+i*997%200000)
		case 1:
			data = textBytes(seed+uint64(i), 1+i*1231%300000)
		default:
			data, typ = []byte(fmt.Sprintf(`{"tree":%d,"seed":%d}`, i, seed)), repo.TreeBlob
		}
		id, added, err := r.SaveBlob(ctx, typ, data)
		if err != nil {
			t.Fatal(err)
		}
		if !added {
			t.Fatalf("blob %d not added", i)
		}
		out = append(out, saved{typ, id, data})
	}
	return out
}

func checkLoad(t *testing.T, r *repo.Repository, blobs []saved) {
	t.Helper()
	var buf []byte
	for i, b := range blobs {
		if !r.HasBlob(b.t, b.id) {
			t.Fatalf("blob %d: HasBlob = false", i)
		}
		got, err := r.LoadBlob(context.Background(), b.t, b.id, buf)
		if err != nil {
			t.Fatalf("blob %d: %v", i, err)
		}
		if !bytes.Equal(got, b.data) {
			t.Fatalf("blob %d: loaded %d bytes differ from the %d saved", i, len(got), len(b.data))
		}
		buf = got
	}
}

func TestRoundTripAcrossReopen(t *testing.T) {
	r, store := repotest.New(t)
	blobs := saveSome(t, r, 60, 1)
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkLoad(t, r, blobs)
	r2 := repotest.Reopen(t, store)
	checkLoad(t, r2, blobs)
	if diff := cmp.Diff(r.Config(), r2.Config()); diff != "" {
		t.Errorf("config after reopen (-want +got):\n%s", diff)
	}
	st := r.Stats()
	if st.DataBlobs != 40 || st.TreeBlobs != 20 || st.Packs < 2 {
		t.Errorf("stats %+v: want 40 data blobs, 20 tree blobs, >= 2 packs", st)
	}
}

func TestWrongPassword(t *testing.T) {
	_, store := repotest.New(t)
	_, err := repo.Open(context.Background(), store, "wrong", repo.OpenOptions{})
	if !errors.Is(err, repo.ErrWrongPassword) || !errors.Is(err, arca.ErrUnauthenticated) {
		t.Errorf("Open with a wrong password = %v, want ErrWrongPassword (UNAUTHENTICATED)", err)
	}
}

func TestInitRefusesNonEmptyAndOpenRefusesEmpty(t *testing.T) {
	ctx := context.Background()
	_, store := repotest.New(t)
	if _, err := repo.Init(ctx, store, "pw", repo.InitOptions{KDF: repotest.FastKDF}); !errors.Is(err, repo.ErrRepositoryExists) {
		t.Errorf("Init on a repository = %v, want ErrRepositoryExists", err)
	}
	other := mem.New()
	if err := other.Put(ctx, "stray", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Init(ctx, other, "pw", repo.InitOptions{KDF: repotest.FastKDF}); !errors.Is(err, repo.ErrRepositoryExists) {
		t.Errorf("Init on a non-empty store = %v, want ErrRepositoryExists", err)
	}
	if _, err := repo.Open(ctx, mem.New(), "pw", repo.OpenOptions{}); !errors.Is(err, repo.ErrNotARepository) {
		t.Errorf("Open on an empty store = %v, want ErrNotARepository", err)
	}
	if _, err := repo.Init(ctx, mem.New(), "", repo.InitOptions{}); !errors.Is(err, arca.ErrInvalidArgument) {
		t.Errorf("Init with an empty password = %v, want INVALID_ARGUMENT", err)
	}
}

func TestDedup(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	data := randBytes(5, 10000)
	id1, added1, err := r.SaveBlob(ctx, repo.DataBlob, data)
	if err != nil {
		t.Fatal(err)
	}
	id2, added2, err := r.SaveBlob(ctx, repo.DataBlob, data)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || !added1 || added2 {
		t.Errorf("second save: ids equal %v, added %v then %v; want equal ids, true then false", id1 == id2, added1, added2)
	}
	// The same bytes as a tree blob are a separate blob.
	if _, added, _ := r.SaveBlob(ctx, repo.TreeBlob, data); !added {
		t.Error("same bytes as a tree blob were deduplicated against the data blob")
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r2 := repotest.Reopen(t, store)
	if _, added, _ := r2.SaveBlob(ctx, repo.DataBlob, data); added {
		t.Error("after reopen the blob was saved again")
	}
	n := 0
	if err := r2.EachBlob(func(repo.PackedBlob) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("index has %d entries (err %v), want 2", n, err)
	}
}

func TestConcurrentSaveBlob(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	const workers, per = 8, 40
	var mu sync.Mutex
	addedCount := map[repo.ID]int{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				// Half the blobs are shared by all workers.
				seed := uint64(1000*w + i)
				if i%2 == 0 {
					seed = uint64(i)
				}
				id, added, err := r.SaveBlob(ctx, repo.DataBlob, randBytes(seed, 20000+i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if added {
					addedCount[id]++
				} else if _, ok := addedCount[id]; !ok {
					addedCount[id] += 0
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := workers*per/2 + per/2
	if len(addedCount) != want {
		t.Errorf("%d distinct ids, want %d", len(addedCount), want)
	}
	for id, n := range addedCount {
		if n != 1 {
			t.Errorf("blob %s added %d times, want exactly once", id.Short(), n)
		}
	}
	r2 := repotest.Reopen(t, store)
	n := 0
	_ = r2.EachBlob(func(repo.PackedBlob) error { n++; return nil })
	if n != want {
		t.Errorf("index has %d entries, want %d", n, want)
	}
}

func TestConcurrentWritersOnOneStore(t *testing.T) {
	ctx := context.Background()
	r1, store := repotest.New(t)
	r2 := repotest.Reopen(t, store)
	shared := randBytes(77, 50000)
	var a, b []saved
	a = saveSome(t, r1, 9, 100)
	b = saveSome(t, r2, 9, 200)
	for _, r := range []*repo.Repository{r1, r2} {
		if _, _, err := r.SaveBlob(ctx, repo.DataBlob, shared); err != nil {
			t.Fatal(err)
		}
	}
	if err := r1.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r3 := repotest.Reopen(t, store)
	checkLoad(t, r3, append(a, b...))
	if got, err := r3.LoadBlob(ctx, repo.DataBlob, repo.ID(sha(r3, shared)), nil); err != nil || !bytes.Equal(got, shared) {
		t.Errorf("shared blob: %v", err)
	}
}

func sha(r *repo.Repository, data []byte) repo.ID {
	// The id of data is what SaveBlob returns; saving again is a no-op.
	id, _, _ := r.SaveBlob(context.Background(), repo.DataBlob, data)
	return id
}

// rewrite replaces a stored object by f(data).
func rewrite(t *testing.T, store blob.Store, name string, f func([]byte) []byte) {
	t.Helper()
	ctx := context.Background()
	data, err := blob.ReadAll(ctx, store, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(ctx, name, f(bytes.Clone(data))); err != nil {
		t.Fatal(err)
	}
}

func packNames(t *testing.T, store blob.Store) []string {
	t.Helper()
	var names []string
	if err := store.List(context.Background(), "data/", func(i blob.Info) error { names = append(names, i.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func TestTamperedPackNeverYieldsWrongBytes(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	blobs := saveSome(t, r, 6, 3)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		pb, ok := r.LookupBlob(b.t, b.id)
		if !ok {
			t.Fatal("blob not in index")
		}
		name := "data/" + pb.Pack.String()[:2] + "/" + pb.Pack.String()
		for _, at := range []uint32{pb.Offset, pb.Offset + pb.Length/2, pb.Offset + pb.Length - 1} {
			rewrite(t, store, name, func(d []byte) []byte { d[at] ^= 0x40; return d })
			if got, err := r.LoadBlob(ctx, b.t, b.id, nil); !errors.Is(err, repo.ErrIntegrity) {
				t.Errorf("flipped byte %d of blob %s: LoadBlob = %d bytes, %v; want ErrIntegrity", at-pb.Offset, b.id.Short(), len(got), err)
			}
			rewrite(t, store, name, func(d []byte) []byte { d[at] ^= 0x40; return d })
		}
		if _, err := r.LoadBlob(ctx, b.t, b.id, nil); err != nil {
			t.Errorf("after undoing the damage: %v", err)
		}
	}
	// A damaged pack header is detected too (in the pack of the first data
	// blob: trees have packs of their own, and theirs are tiny).
	first, _ := r.LookupBlob(blobs[0].t, blobs[0].id)
	name := "data/" + first.Pack.String()[:2] + "/" + first.Pack.String()
	rewrite(t, store, name, func(d []byte) []byte { d[len(d)-10] ^= 1; return d })
	id, _ := repo.ParseID(name[strings.LastIndexByte(name, '/')+1:])
	if _, err := r.LoadPackHeader(ctx, id); !errors.Is(err, repo.ErrIntegrity) {
		t.Errorf("LoadPackHeader of a damaged header = %v, want ErrIntegrity", err)
	}
	// A truncated pack: blobs past the cut and the header are damage.
	rewrite(t, store, name, func(d []byte) []byte { return d[:len(d)/2] })
	var lost int
	for _, b := range blobs {
		pb, _ := r.LookupBlob(b.t, b.id)
		if pb.Pack != id {
			continue
		}
		if _, err := r.LoadBlob(ctx, b.t, b.id, nil); err != nil {
			if !errors.Is(err, repo.ErrIntegrity) {
				t.Errorf("blob in a truncated pack: %v, want ErrIntegrity", err)
			}
			lost++
		}
	}
	if lost == 0 {
		t.Error("no blob of the truncated pack failed to load")
	}
	if _, err := r.LoadPackHeader(ctx, id); !errors.Is(err, repo.ErrIntegrity) {
		t.Errorf("LoadPackHeader of a truncated pack = %v, want ErrIntegrity", err)
	}
}

func TestTamperedSnapshotAndIndexDetected(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	treeID, _, _ := r.SaveBlob(ctx, repo.TreeBlob, []byte(`{}`))
	snID, err := r.SaveSnapshot(ctx, &repo.Snapshot{Time: time.Unix(1e9, 0).UTC(), Tree: treeID})
	if err != nil {
		t.Fatal(err)
	}
	rewrite(t, store, "snapshots/"+snID.String(), func(d []byte) []byte { d[len(d)-1] ^= 1; return d })
	if _, err := r.LoadSnapshot(ctx, snID); !errors.Is(err, repo.ErrIntegrity) {
		t.Errorf("LoadSnapshot of a damaged object = %v, want ErrIntegrity", err)
	}
	var idxName string
	_ = store.List(ctx, "index/", func(i blob.Info) error { idxName = i.Name; return nil })
	rewrite(t, store, idxName, func(d []byte) []byte { d[20] ^= 1; return d })
	if _, err := repo.Open(ctx, store, repotest.Password, repo.OpenOptions{}); !errors.Is(err, repo.ErrIntegrity) {
		t.Errorf("Open with a damaged index object = %v, want ErrIntegrity", err)
	}
}

func TestRebuildIndexFromPacks(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	blobs := saveSome(t, r, 40, 9)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var idx []string
	_ = store.List(ctx, "index/", func(i blob.Info) error { idx = append(idx, i.Name); return nil })
	for _, n := range idx {
		if err := store.Delete(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	r2 := repotest.Reopen(t, store)
	if r2.HasBlob(blobs[0].t, blobs[0].id) {
		t.Fatal("blob still indexed after removing every index object")
	}
	res, err := r2.RebuildIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Blobs != len(blobs) || len(res.DamagedPacks) != 0 {
		t.Errorf("rebuild %+v, want %d blobs and no damaged packs", res, len(blobs))
	}
	checkLoad(t, r2, blobs)
	checkLoad(t, repotest.Reopen(t, store), blobs)
}

func TestCompactIndex(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	var all []saved
	for i := 0; i < 4; i++ {
		all = append(all, saveSome(t, r, 5, uint64(100*i))...)
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := r.CompactIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	_ = store.List(ctx, "index/", func(i blob.Info) error { names = append(names, i.Name); return nil })
	if removed != 4 || len(names) != 1 {
		t.Errorf("compaction removed %d and left %d index objects, want 4 and 1", removed, len(names))
	}
	checkLoad(t, r, all)
	checkLoad(t, repotest.Reopen(t, store), all)
}

func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	treeID, _, _ := r.SaveBlob(ctx, repo.TreeBlob, []byte(`{"nodes":[]}`))
	if _, err := r.SaveSnapshot(ctx, &repo.Snapshot{Tree: repo.ID{1}}); err == nil {
		t.Error("SaveSnapshot with an unknown tree succeeded")
	}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var ids []repo.ID
	for i := 0; i < 3; i++ {
		parent := (*repo.ID)(nil)
		if i > 0 {
			parent = &ids[i-1]
		}
		sn := &repo.Snapshot{Time: base.Add(time.Duration(i) * time.Hour), Hostname: "h", Paths: []string{"/srv"}, Tree: treeID, Parent: parent, Tags: []string{"nightly"}, CopyOnly: i == 1}
		id, err := r.SaveSnapshot(ctx, sn)
		if err != nil {
			t.Fatal(err)
		}
		got, err := repotest.Reopen(t, store).LoadSnapshot(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sn, got); diff != "" {
			t.Errorf("snapshot round trip (-want +got):\n%s", diff)
		}
		ids = append(ids, id)
	}
	latest, err := r.FindSnapshot(ctx, "latest")
	if err != nil || latest != ids[2] {
		t.Errorf("latest = %s, %v; want %s", latest.Short(), err, ids[2].Short())
	}
	if got, err := r.FindSnapshot(ctx, ids[1].String()[:10]); err != nil || got != ids[1] {
		t.Errorf("prefix lookup = %s, %v; want %s", got.Short(), err, ids[1].Short())
	}
	if _, err := r.FindSnapshot(ctx, "zz"); !errors.Is(err, arca.ErrInvalidArgument) {
		t.Errorf("FindSnapshot(zz) = %v, want INVALID_ARGUMENT", err)
	}
	if _, err := r.FindSnapshot(ctx, ""+ids[0].String()[:1]+"x"); err == nil {
		t.Error("FindSnapshot of a non-hex string succeeded")
	}
	if err := r.DeleteSnapshot(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LoadSnapshot(ctx, ids[2]); !errors.Is(err, repo.ErrSnapshotNotFound) {
		t.Errorf("load of a deleted snapshot = %v, want ErrSnapshotNotFound", err)
	}
	var listed []repo.ID
	if err := r.ListSnapshots(ctx, func(id repo.ID, _ *repo.Snapshot) error { listed = append(listed, id); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Slice(listed, func(i, j int) bool { return listed[i].String() < listed[j].String() })
	want := []repo.ID{ids[0], ids[1]}
	sort.Slice(want, func(i, j int) bool { return want[i].String() < want[j].String() })
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("ListSnapshots (-want +got):\n%s", diff)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	keys, err := r.ListKeys(ctx)
	if err != nil || len(keys) != 1 || !keys[0].Current {
		t.Fatalf("ListKeys = %+v, %v; want one current key", keys, err)
	}
	if err := r.RemoveKey(ctx, keys[0].ID); !errors.Is(err, repo.ErrLastKey) {
		t.Errorf("removing the only key = %v, want ErrLastKey", err)
	}
	second, err := r.AddKey(ctx, "second password", repo.KeyOptions{KDF: repotest.FastKDF, Hostname: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{repotest.Password, "second password"} {
		if _, err := repo.Open(ctx, store, pw, repo.OpenOptions{}); err != nil {
			t.Errorf("open with %q: %v", pw, err)
		}
	}
	newID, err := r.ChangePassword(ctx, "third password", repo.KeyOptions{KDF: repotest.FastKDF})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Open(ctx, store, repotest.Password, repo.OpenOptions{}); !errors.Is(err, repo.ErrWrongPassword) {
		t.Errorf("old password after change = %v, want ErrWrongPassword", err)
	}
	if err := r.RemoveKey(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveKey(ctx, "nope"); !errors.Is(err, repo.ErrKeyNotFound) {
		t.Errorf("RemoveKey(nope) = %v, want ErrKeyNotFound", err)
	}
	keys, _ = r.ListKeys(ctx)
	if len(keys) != 1 || keys[0].ID != newID || !keys[0].Current {
		t.Errorf("keys after changes = %+v, want only the current %s", keys, newID)
	}
	if _, err := repo.Open(ctx, store, "third password", repo.OpenOptions{}); err != nil {
		t.Errorf("open with the new password: %v", err)
	}
}

func TestCompressionPaysOrIsSkipped(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name       string
		data       []byte
		compressed bool
	}{
		{"text", textBytes(1, 300000), true},
		{"random", randBytes(1, 300000), false},
		{"tiny", []byte("x"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := repotest.New(t)
			id, _, err := r.SaveBlob(ctx, repo.DataBlob, c.data)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			pb, _ := r.LookupBlob(repo.DataBlob, id)
			if pb.Compressed != c.compressed {
				t.Errorf("compressed = %v, want %v (stored %d of %d bytes)", pb.Compressed, c.compressed, pb.Length, pb.RawLength)
			}
			got, err := r.LoadBlob(ctx, repo.DataBlob, id, nil)
			if err != nil || !bytes.Equal(got, c.data) {
				t.Errorf("LoadBlob: %v", err)
			}
		})
	}
	r, _ := repotest.NewWith(t, repo.InitOptions{Compression: repo.CompressionOff})
	id, _, _ := r.SaveBlob(ctx, repo.DataBlob, textBytes(2, 100000))
	_ = r.Flush(ctx)
	if pb, _ := r.LookupBlob(repo.DataBlob, id); pb.Compressed {
		t.Error("compression off, yet the blob was compressed")
	}
}

func TestNewChunkerReassembles(t *testing.T) {
	r, _ := repotest.New(t)
	data := randBytes(4, 500000)
	c := r.NewChunker(bytes.NewReader(data))
	var got []byte
	n := 0
	for {
		ch, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ch...)
		n++
	}
	if !bytes.Equal(got, data) || n < 5 {
		t.Errorf("%d chunks reassemble to %d bytes (equal %v); want >= 5 chunks and the input", n, len(got), bytes.Equal(got, data))
	}
}

func TestLoadUnknownBlob(t *testing.T) {
	r, _ := repotest.New(t)
	if _, err := r.LoadBlob(context.Background(), repo.DataBlob, repo.ID{9}, nil); !errors.Is(err, repo.ErrBlobNotFound) {
		t.Errorf("LoadBlob(unknown) = %v, want ErrBlobNotFound", err)
	}
}

func TestIndexSpillOption(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	blobs := saveSome(t, r, 30, 11)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r2, err := repo.Open(ctx, store, repotest.Password, repo.OpenOptions{IndexCacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	checkLoad(t, r2, blobs)
}

func TestOpenSkipsSupersededIndexObjects(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	var all []saved
	for i := 0; i < 3; i++ {
		all = append(all, saveSome(t, r, 4, uint64(i))...)
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	old := map[string][]byte{}
	_ = store.List(ctx, "index/", func(i blob.Info) error {
		old[i.Name], _ = blob.ReadAll(ctx, store, i.Name)
		return nil
	})
	if _, err := r.CompactIndex(ctx); err != nil {
		t.Fatal(err)
	}
	// Put the superseded objects back, as if their deletion had not
	// happened yet, and drop one pack's entry from the compacted object's
	// view by checking counts: superseded objects must not be loaded.
	for name, data := range old {
		if err := store.Put(ctx, name, data); err != nil {
			t.Fatal(err)
		}
	}
	r2 := repotest.Reopen(t, store)
	n := 0
	_ = r2.EachBlob(func(repo.PackedBlob) error { n++; return nil })
	if n != len(all) {
		t.Errorf("index has %d entries after reopen, want %d (superseded objects loaded?)", n, len(all))
	}
	checkLoad(t, r2, all)
}

func TestLoadPackBlobs(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	blobs := saveSome(t, r, 30, 21)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	byPack := map[repo.ID][]repo.PackedBlob{}
	want := map[repo.ID][]byte{}
	for _, b := range blobs {
		pb, _ := r.LookupBlob(b.t, b.id)
		byPack[pb.Pack] = append(byPack[pb.Pack], pb)
		want[b.id] = b.data
	}
	// Damage one blob of the first pack: only that blob fails.
	var damaged repo.PackedBlob
	for _, pbs := range byPack {
		damaged = pbs[0]
		break
	}
	name := "data/" + damaged.Pack.String()[:2] + "/" + damaged.Pack.String()
	rewrite(t, store, name, func(d []byte) []byte { d[damaged.Offset+3] ^= 1; return d })
	seen := 0
	for pack, pbs := range byPack {
		err := r.LoadPackBlobs(ctx, pack, pbs, func(b repo.PackedBlob, plain []byte, err error) error {
			seen++
			if b.ID == damaged.ID {
				if !errors.Is(err, repo.ErrIntegrity) {
					t.Errorf("damaged blob: %v, want ErrIntegrity", err)
				}
				return nil
			}
			if err != nil || !bytes.Equal(plain, want[b.ID]) {
				t.Errorf("blob %s: %v (equal %v)", b.ID.Short(), err, bytes.Equal(plain, want[b.ID]))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen != len(blobs) {
		t.Errorf("fn called %d times, want %d", seen, len(blobs))
	}
}

func TestCrashBeforeFlushLosesNothingReported(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	committed := saveSome(t, r, 9, 31)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Enough unflushed data to upload packs, then "crash": no Flush.
	unflushed := saveSome(t, r, 30, 32)
	r2 := repotest.Reopen(t, store)
	checkLoad(t, r2, committed)
	// Whatever was not flushed is either absent (saved again on the next
	// backup) or complete; never half-visible.
	for _, b := range unflushed {
		if r2.HasBlob(b.t, b.id) {
			got, err := r2.LoadBlob(ctx, b.t, b.id, nil)
			if err != nil || !bytes.Equal(got, b.data) {
				t.Errorf("unflushed blob visible but unreadable: %v", err)
			}
		}
	}
	if err := r.Flush(ctx); err != nil { // the "crashed" writer finishes after all
		t.Fatal(err)
	}
	if _, err := r2.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	checkLoad(t, repotest.Reopen(t, store), append(committed, unflushed...))
}
