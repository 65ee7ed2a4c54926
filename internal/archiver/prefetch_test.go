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

// TestPrefetchReadsLargeFilesFirst: the large files, last in path order,
// are read by the prefetcher while the readers are still held on the
// first small file; the walker then takes their content. Every file is
// read once and the snapshot holds the right bytes.
func TestPrefetchReadsLargeFilesFirst(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	const nLarge = 5
	want := prefetchTree(t, dir, 60, nLarge, 40<<10)
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	a.prefetchMin = 32 << 10

	var mu sync.Mutex
	opened := map[string]int{}
	largeOpened := make(chan struct{})
	a.testHookOpen = func(p string) {
		mu.Lock()
		opened[p]++
		large := 0
		for q := range opened {
			if strings.Contains(q, "/z/") {
				large++
			}
		}
		if large == nLarge && opened[p] == 1 && strings.Contains(p, "/z/") {
			close(largeOpened)
		}
		mu.Unlock()
		if strings.Contains(p, "/a/") {
			select { // hold the readers (and so the walker) in a/ until the prefetcher has opened all of z/
			case <-largeOpened:
			case <-time.After(30 * time.Second):
				t.Errorf("the prefetcher did not open the large files while the readers were held")
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

// TestPrefetchExcluded: a large file the walker never reaches (excluded)
// is not prefetched, and the backup ends.
func TestPrefetchExcluded(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	prefetchTree(t, dir, 3, 2, 40<<10)
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	a.prefetchMin = 32 << 10
	a.testHookOpen = func(p string) {
		if strings.Contains(p, "/z/") {
			t.Errorf("opened excluded %s", p)
		}
	}
	res := backup(t, a, []string{dir}, SnapshotOptions{Excludes: []string{"z"}})
	if res.Snapshot.Stats.FilesNew != 3 {
		t.Errorf("%d new files, want 3", res.Snapshot.Stats.FilesNew)
	}
}

// TestPrefetchCancel: a backup cancelled while the prefetcher reads ends
// with the cancellation and saves no snapshot.
func TestPrefetchCancel(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	prefetchTree(t, dir, 10, 3, 40<<10)
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	a.prefetchMin = 32 << 10
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

// TestPrefetchHardLinks: a large file with two names is read once.
func TestPrefetchHardLinks(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	want := prefetchTree(t, dir, 2, 1, 40<<10)
	big := filepath.Join(dir, "z", "big0")
	if err := os.Link(big, filepath.Join(dir, "z", "big1")); err != nil {
		t.Fatal(err)
	}
	mr := archivertest.NewMemRepo()
	a := New(mr, Options{})
	a.prefetchMin = 32 << 10
	var mu sync.Mutex
	var opened []string
	a.testHookOpen = func(p string) {
		mu.Lock()
		opened = append(opened, filepath.Base(p))
		mu.Unlock()
	}
	res := backup(t, a, []string{dir}, SnapshotOptions{})
	bigOpens := 0
	for _, n := range opened {
		if strings.HasPrefix(n, "big") {
			bigOpens++
		}
	}
	if bigOpens != 1 {
		t.Errorf("the hard-linked file was opened %d times (%q), want once", bigOpens, opened)
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
