package pruner_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/checker"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/repotest"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// clock is the injected clock of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// errInjected is the failure a testStore injects.
var errInjected = errors.New("injected storage failure")

// testStore wraps the in-memory store at the seam under test: it stamps
// objects with the test clock (as a store's own clock would) and can fail
// the Nth mutating operation (Put or Delete) once armed.
type testStore struct {
	blob.Store
	clock *clock

	mu    sync.Mutex
	times map[string]time.Time

	armed  atomic.Bool
	failAt atomic.Int64 // fail the mutation with this number (1-based)
	ops    atomic.Int64
	// onMutation, if set, is called with the number of each mutation.
	onMutation func(n int64)
}

func newTestStore(c *clock) *testStore { return newTestStoreOn(c, mem.New()) }

func newTestStoreOn(c *clock, inner blob.Store) *testStore {
	return &testStore{Store: inner, clock: c, times: map[string]time.Time{}}
}

// failNth arms the store to fail the nth mutation from now on (0 disarms).
func (s *testStore) failNth(n int64) {
	s.ops.Store(0)
	s.failAt.Store(n)
	s.armed.Store(n > 0)
}

func (s *testStore) mutate() error {
	if s.onMutation != nil {
		s.onMutation(s.ops.Add(1))
		return nil
	}
	if !s.armed.Load() {
		return nil
	}
	if s.ops.Add(1) == s.failAt.Load() {
		return fmt.Errorf("%w (operation %d)", errInjected, s.failAt.Load())
	}
	return nil
}

func (s *testStore) Put(ctx context.Context, name string, data []byte) error {
	if err := s.mutate(); err != nil {
		return err
	}
	if err := s.Store.Put(ctx, name, data); err != nil {
		return err
	}
	s.mu.Lock()
	s.times[name] = s.clock.Now()
	s.mu.Unlock()
	return nil
}

func (s *testStore) Delete(ctx context.Context, name string) error {
	if err := s.mutate(); err != nil {
		return err
	}
	return s.Store.Delete(ctx, name)
}

func (s *testStore) stamp(i blob.Info) blob.Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.times[i.Name]; ok {
		i.ModTime = t
	}
	return i
}

func (s *testStore) Stat(ctx context.Context, name string) (blob.Info, error) {
	i, err := s.Store.Stat(ctx, name)
	return s.stamp(i), err
}

func (s *testStore) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	return s.Store.List(ctx, prefix, func(i blob.Info) error { return fn(s.stamp(i)) })
}

func (s *testStore) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	return s.Store.Get(ctx, name, offset, length)
}

// names lists every object name.
func (s *testStore) names(t *testing.T) []string {
	t.Helper()
	var out []string
	if err := s.Store.List(context.Background(), "", func(i blob.Info) error { out = append(out, i.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func (s *testStore) count(t *testing.T, prefix string) int {
	n := 0
	for _, name := range s.names(t) {
		if strings.HasPrefix(name, prefix) {
			n++
		}
	}
	return n
}

var openOpts = repo.OpenOptions{PackSize: 8 << 10, Packers: 1}

const chunk = 3000

func initRepo(t *testing.T, c *clock) (*testStore, *repo.Repository) {
	t.Helper()
	s := newTestStore(c)
	r, err := repo.Init(context.Background(), s, repotest.Password, repo.InitOptions{
		KDF: repotest.FastKDF, Compression: repo.CompressionOff, Open: openOpts, Now: c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return s, r
}

func openRepo(t testing.TB, s blob.Store) *repo.Repository {
	t.Helper()
	r, err := repo.Open(context.Background(), s, repotest.Password, openOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// content returns n pseudo-random bytes from seed.
func content(seed uint64, n int) []byte {
	rnd := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// backup stores files as a snapshot taken at now, with Flush before
// SaveSnapshot, like the archiver. Files are saved in name order, so the
// packing is deterministic.
func backup(ctx context.Context, r *repo.Repository, now time.Time, files map[string][]byte) (repo.ID, error) {
	return backupAs(ctx, r, now, "h", files)
}

// backupAs is backup with a host name (the snapshot's retention group).
func backupAs(ctx context.Context, r *repo.Repository, now time.Time, host string, files map[string][]byte) (repo.ID, error) {
	root, err := saveTree(ctx, r, "", files)
	if err != nil {
		return repo.ID{}, err
	}
	if err := r.Flush(ctx); err != nil {
		return repo.ID{}, err
	}
	return r.SaveSnapshot(ctx, &repo.Snapshot{Time: now, Hostname: host, Paths: []string{"/"}, Tree: root})
}

// backupChunked is backup with blobs of size bytes.
func backupChunked(ctx context.Context, r *repo.Repository, now time.Time, files map[string][]byte, size int) (repo.ID, error) {
	root, err := saveTreeChunked(ctx, r, "", files, size)
	if err != nil {
		return repo.ID{}, err
	}
	if err := r.Flush(ctx); err != nil {
		return repo.ID{}, err
	}
	return r.SaveSnapshot(ctx, &repo.Snapshot{Time: now, Hostname: "h", Paths: []string{"/"}, Tree: root})
}

func saveTree(ctx context.Context, r *repo.Repository, dir string, files map[string][]byte) (repo.ID, error) {
	return saveTreeChunked(ctx, r, dir, files, chunk)
}

func saveTreeChunked(ctx context.Context, r *repo.Repository, dir string, files map[string][]byte, chunk int) (repo.ID, error) {
	var names []string
	for p := range files {
		if strings.HasPrefix(p, dir) {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	var t tree.Tree
	seen := map[string]bool{}
	for _, p := range names {
		rel := strings.TrimPrefix(p, dir)
		if name, _, isDir := strings.Cut(rel, "/"); isDir {
			if seen[name] {
				continue
			}
			seen[name] = true
			sub, err := saveTreeChunked(ctx, r, dir+name+"/", files, chunk)
			if err != nil {
				return repo.ID{}, err
			}
			t.Nodes = append(t.Nodes, tree.Node{Name: name, Type: tree.TypeDir, Mode: 0o755, Subtree: (*tree.ID)(&sub)})
			continue
		}
		data := files[p]
		n := tree.Node{Name: rel, Type: tree.TypeFile, Mode: 0o644, Size: uint64(len(data))}
		for off := 0; off < len(data); off += chunk {
			id, _, err := r.SaveBlob(ctx, repo.DataBlob, data[off:min(off+chunk, len(data))])
			if err != nil {
				return repo.ID{}, err
			}
			n.Content = append(n.Content, id)
		}
		t.Nodes = append(t.Nodes, n)
	}
	t.Sort()
	enc, err := tree.Encode(&t)
	if err != nil {
		return repo.ID{}, err
	}
	id, _, err := r.SaveBlob(ctx, repo.TreeBlob, enc)
	return id, err
}

func mustBackup(t *testing.T, r *repo.Repository, c *clock, files map[string][]byte) repo.ID {
	t.Helper()
	id, err := backup(context.Background(), r, c.Now(), files)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// verify opens the repository anew, checks it with read-data, and reads
// every file of every snapshot back, comparing with want (snapshot →
// files) where given.
func verify(t *testing.T, s blob.Store, want map[repo.ID]map[string][]byte) {
	t.Helper()
	r := openRepo(t, s)
	rep, err := checker.Check(context.Background(), r, checker.Options{ReadData: true})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("check found problems:\n%s", rep)
	}
	for id, files := range want {
		sn, err := r.LoadSnapshot(context.Background(), id)
		if err != nil {
			t.Fatalf("snapshot %s: %v", id.Short(), err)
		}
		got := map[string][]byte{}
		readTree(t, r, sn.Tree, "", got)
		for name, data := range files {
			if string(got[name]) != string(data) {
				t.Errorf("snapshot %s: file %s reads back %d bytes, differing from the %d saved", id.Short(), name, len(got[name]), len(data))
			}
		}
		if len(got) != len(files) {
			t.Errorf("snapshot %s has %d files, want %d", id.Short(), len(got), len(files))
		}
	}
}

func readTree(t *testing.T, r *repo.Repository, id repo.ID, dir string, out map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	buf, err := r.LoadBlob(ctx, repo.TreeBlob, id, nil)
	if err != nil {
		t.Fatalf("tree %s: %v", dir, err)
	}
	tr, err := tree.Decode(buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range tr.Nodes {
		if n.Subtree != nil {
			readTree(t, r, *n.Subtree, dir+n.Name+"/", out)
			continue
		}
		var data []byte
		for _, c := range n.Content {
			b, err := r.LoadBlob(ctx, repo.DataBlob, c, nil)
			if err != nil {
				t.Fatalf("file %s: %v", dir+n.Name, err)
			}
			data = append(data, b...)
		}
		out[dir+n.Name] = data
	}
}

// readSnapshot reads every file of a snapshot through a freshly opened
// repository, without failing the test (for use off the test goroutine).
func readSnapshot(ctx context.Context, s blob.Store, id repo.ID) (map[string][]byte, error) {
	r, err := repo.Open(ctx, s, repotest.Password, openOpts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	sn, err := r.LoadSnapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	var walk func(tid repo.ID, dir string) error
	walk = func(tid repo.ID, dir string) error {
		buf, err := r.LoadBlob(ctx, repo.TreeBlob, tid, nil)
		if err != nil {
			return fmt.Errorf("tree %s: %w", dir, err)
		}
		tr, err := tree.Decode(buf)
		if err != nil {
			return err
		}
		for _, n := range tr.Nodes {
			if n.Subtree != nil {
				if err := walk(*n.Subtree, dir+n.Name+"/"); err != nil {
					return err
				}
				continue
			}
			var data []byte
			for _, c := range n.Content {
				b, err := r.LoadBlob(ctx, repo.DataBlob, c, nil)
				if err != nil {
					return fmt.Errorf("file %s: %w", dir+n.Name, err)
				}
				data = append(data, b...)
			}
			out[dir+n.Name] = data
		}
		return nil
	}
	return out, walk(sn.Tree, "")
}
