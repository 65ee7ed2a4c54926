package archiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// prefetchTree makes dir/a with nSmall small files and dir/z with nLarge
// files of large bytes, and returns every file's content by snapshot path.
func prefetchTree(t *testing.T, dir string, nSmall, nLarge, large int) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string][]byte{}
	write := func(sub, name string, size int) {
		p := filepath.Join(dir, sub, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		want[filepath.Base(dir)+"/"+sub+"/"+name] = b
	}
	for i := range nSmall {
		write("a", fmt.Sprintf("s%03d", i), 100+i)
	}
	for i := range nLarge {
		write("z", fmt.Sprintf("big%d", i), large+i)
	}
	return want
}

// prefetchSetup makes a prefetchTree of 40 KiB large files under a new
// directory and an archiver into a memory repository that prefetches
// them (from 32 KiB).
func prefetchSetup(t *testing.T, nSmall, nLarge int) (dir string, want map[string][]byte, mr *archivertest.MemRepo, a *Archiver) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	want = prefetchTree(t, dir, nSmall, nLarge, 40<<10)
	mr = archivertest.NewMemRepo()
	a = New(mr, Options{})
	a.prefetchMin = 32 << 10
	return dir, want, mr, a
}

// TestPrefetchReadsLargeFilesFirst: the large files, last in path order,
// are read by the prefetcher while the readers are still held on the
// first small files; the walker then takes their content. Every file is
// read once and the snapshot holds the right bytes.
func TestPrefetchReadsLargeFilesFirst(t *testing.T) {
	t.Parallel()
	const nLarge = 5
	dir, want, mr, a := prefetchSetup(t, 60, nLarge)

	var mu sync.Mutex
	opened := map[string]int{}
	prefetched := 0
	allPrefetched := make(chan struct{})
	a.testHookPrefetched = func(string) {
		mu.Lock()
		defer mu.Unlock()
		if prefetched++; prefetched == nLarge {
			close(allPrefetched)
		}
	}
	a.testHookOpen = func(p string) {
		mu.Lock()
		opened[p]++
		mu.Unlock()
		if strings.Contains(p, "/a/") {
			select { // hold the readers (and so the walker) in a/ until the prefetcher has read all of z/
			case <-allPrefetched:
			case <-time.After(30 * time.Second):
				t.Errorf("the prefetcher did not read the large files while the readers were held")
			}
		}
	}
	var last Progress
	res := backup(t, a, []string{dir}, SnapshotOptions{NoScan: true, Progress: func(p Progress) { last = p }})
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	for p, n := range opened {
		if n != 1 {
			t.Errorf("%s opened %d times", p, n)
		}
	}
	_, got := readBack(t, mr, res.Snapshot.Tree)
	if len(got) != len(want) {
		t.Errorf("snapshot has %d files, want %d", len(got), len(want))
	}
	var total uint64
	for p, b := range want {
		total += uint64(len(b))
		if !bytes.Equal(got[p], b) {
			t.Errorf("%s: %d bytes restored, want its %d bytes", p, len(got[p]), len(b))
		}
	}
	st := res.Snapshot.Stats
	if st.FilesNew != uint64(len(want)) || st.BytesRead != total {
		t.Errorf("stats: %d new files, %d bytes read; want %d and %d", st.FilesNew, st.BytesRead, len(want), total)
	}
	if last.BytesDone != total || last.FilesDone != uint64(len(want)) {
		t.Errorf("final progress: %d bytes, %d files done; want %d and %d", last.BytesDone, last.FilesDone, total, len(want))
	}

	// A backup with a parent does not prefetch: it reads nothing here.
	a.testHookOpen = func(p string) { t.Errorf("the backup with a parent opened %s", p) }
	backup(t, a, []string{dir}, SnapshotOptions{Parent: &res.ID})
}

// TestPrefetchExcluded: the finder does not queue a large file the walker
// never reaches (excluded), and the backup ends without opening it.
func TestPrefetchExcluded(t *testing.T) {
	t.Parallel()
	dir, _, _, a := prefetchSetup(t, 3, 2)
	opts := SnapshotOptions{Excludes: []string{"z"}}
	r, err := a.newRun(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.pre = newPrefetcher(a.prefetchMin)
	roots, err := resolveRoots([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	r.scan(context.Background(), roots)
	if len(r.pre.queue) != 0 {
		t.Errorf("the finder queued %d excluded files", len(r.pre.queue))
	}

	a.testHookOpen = func(p string) {
		if strings.Contains(p, "/z/") {
			t.Errorf("opened excluded %s", p)
		}
	}
	res := backup(t, a, []string{dir}, opts)
	if res.Snapshot.Stats.FilesNew != 3 {
		t.Errorf("%d new files, want 3", res.Snapshot.Stats.FilesNew)
	}
}

// TestPrefetchCancel: a backup cancelled while the prefetcher reads ends
// with the cancellation and saves no snapshot.
func TestPrefetchCancel(t *testing.T) {
	t.Parallel()
	dir, _, mr, a := prefetchSetup(t, 10, 3)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	a.testHookOpen = func(p string) {
		if strings.Contains(p, "/z/") {
			once.Do(cancel)
		}
	}
	if _, err := a.Snapshot(ctx, []string{dir}, SnapshotOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Snapshot = %v, want context.Canceled", err)
	}
	if mr.Snapshots() != 0 {
		t.Errorf("a cancelled backup saved a snapshot")
	}
}

// TestPrefetchTake: the walker takes a prefetch only for the same file
// (inode, size, times) as it lstat'ed, and claims it otherwise.
func TestPrefetchTake(t *testing.T) {
	t.Parallel()
	mtime := time.Unix(1700000000, 5)
	node := tree.Node{Inode: 7, Size: 100, ModTime: mtime, ChangeTime: mtime}
	st := syscall.Stat_t{Ino: 7, Size: 100, Mtim: syscall.Timespec{Sec: 1700000000, Nsec: 5}, Ctim: syscall.Timespec{Sec: 1700000000, Nsec: 5}}
	for _, tc := range []struct {
		name   string
		opened bool
		mutate func(*syscall.Stat_t)
		taken  bool
	}{
		{"same file", true, func(*syscall.Stat_t) {}, true},
		{"not opened yet", false, func(*syscall.Stat_t) {}, false},
		{"other inode", true, func(s *syscall.Stat_t) { s.Ino++ }, false},
		{"other size", true, func(s *syscall.Stat_t) { s.Size++ }, false},
		{"other mtime", true, func(s *syscall.Stat_t) { s.Mtim.Nsec++ }, false},
		{"other ctime", true, func(s *syscall.Stat_t) { s.Ctim.Sec++ }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPrefetcher(1)
			f := &prefetch{path: "/x", opened: tc.opened, st: st}
			tc.mutate(&f.st)
			p.byPath["/x"] = f
			got := p.take("/x", &node)
			if (got != nil) != tc.taken || f.claimed == tc.taken {
				t.Errorf("take = %v, claimed = %v; want taken %v", got != nil, f.claimed, tc.taken)
			}
			if p.take("/x", &node) != nil {
				t.Errorf("a prefetch was taken twice")
			}
		})
	}
	if (*prefetcher)(nil).take("/x", &node) != nil {
		t.Errorf("a nil prefetcher gave a prefetch")
	}
}

// TestPrefetchHardLinks: a large file with two names is read through one.
func TestPrefetchHardLinks(t *testing.T) {
	t.Parallel()
	dir, want, mr, a := prefetchSetup(t, 2, 1)
	big := filepath.Join(dir, "z", "big0")
	if err := os.Link(big, filepath.Join(dir, "z", "big1")); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var opened []string
	a.testHookOpen = func(p string) {
		mu.Lock()
		opened = append(opened, filepath.Base(p))
		mu.Unlock()
	}
	res := backup(t, a, []string{dir}, SnapshotOptions{})
	// big0 may be opened twice (the walker can claim it between the
	// prefetcher's taking it from the queue and opening it), big1 never:
	// the walker links it to big0 and the finder did not queue it.
	for _, n := range opened {
		if n == "big1" {
			t.Errorf("the second name of the hard-linked file was opened (%q)", opened)
		}
	}
	_, got := readBack(t, mr, res.Snapshot.Tree)
	base := filepath.Base(dir)
	if !bytes.Equal(got[base+"/z/big1"], want[base+"/z/big0"]) || !bytes.Equal(got[base+"/z/big0"], want[base+"/z/big0"]) {
		t.Errorf("the two names of the hard-linked file do not both hold its content")
	}
}

// TestPrefetchQueuesOneNamePerInode: the finder queues one name of a
// hard-linked file (the walker reads it once and links the others), every
// name of distinct files, and no small or special file.
func TestPrefetchQueuesOneNamePerInode(t *testing.T) {
	t.Parallel()
	p := newPrefetcher(100)
	reg := func(dev, ino, nlink uint64, size int64) *unix.Stat_t {
		return &unix.Stat_t{Dev: dev, Ino: ino, Nlink: nlink, Size: size, Mode: unix.S_IFREG | 0o644}
	}
	p.add("/a", reg(1, 10, 2, 500))
	p.add("/b", reg(1, 10, 2, 500)) // another name of /a
	p.add("/c", reg(2, 10, 2, 500)) // same inode number, other device
	p.add("/d", reg(1, 11, 1, 500))
	p.add("/small", reg(1, 12, 1, 99))
	p.add("/fifo", &unix.Stat_t{Dev: 1, Ino: 13, Nlink: 1, Size: 500, Mode: unix.S_IFIFO})
	var got []string
	for _, f := range p.queue {
		got = append(got, f.path)
	}
	if diff := cmp.Diff([]string{"/a", "/c", "/d"}, got); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
}

// TestScanFindsShallowFilesFirst: the pre-scan goes breadth first, so a
// large file near the top is queued before one deep inside a directory
// that comes first in path order.
func TestScanFindsShallowFilesFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b", "c", "d")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(deep, "big"), filepath.Join(dir, "z", "big")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, 100), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := New(archivertest.NewMemRepo(), Options{})
	r, err := a.newRun(SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.pre = newPrefetcher(50)
	roots, err := resolveRoots([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	r.scan(context.Background(), roots)
	var got []string
	for _, f := range r.pre.queue {
		got = append(got, strings.TrimPrefix(f.path, dir))
	}
	if diff := cmp.Diff([]string{"/z/big", "/a/b/c/d/big"}, got); diff != "" {
		t.Errorf("queue (-want +got):\n%s", diff)
	}
	if !r.progress.scanDone.Load() || r.progress.scanFiles.Load() != 2 {
		t.Errorf("scan done %v, %d files; want done, 2", r.progress.scanDone.Load(), r.progress.scanFiles.Load())
	}
}

// TestPrefetchQueueBounded: beyond maxPrefetches files waiting for the
// walker, the finder queues no more (the walker reads them itself).
func TestPrefetchQueueBounded(t *testing.T) {
	t.Parallel()
	p := newPrefetcher(1)
	for i := range maxPrefetches + 10 {
		p.add(fmt.Sprintf("/f%d", i), &unix.Stat_t{Ino: uint64(i), Nlink: 1, Size: 10, Mode: unix.S_IFREG})
	}
	if len(p.queue) != maxPrefetches || len(p.byPath) != maxPrefetches {
		t.Fatalf("%d queued, %d by path; want %d", len(p.queue), len(p.byPath), maxPrefetches)
	}
	p.take("/f0", &tree.Node{}) // the walker reached one: room for another
	p.add("/late", &unix.Stat_t{Ino: 1 << 40, Nlink: 1, Size: 10, Mode: unix.S_IFREG})
	if _, ok := p.byPath["/late"]; !ok {
		t.Errorf("a file found after the walker took one was not queued")
	}
}
