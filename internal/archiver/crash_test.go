package archiver_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/archiver/archivertest"
	"github.com/arcabackup/arca/internal/checker"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/restorer"
)

// The crash test kills a real backup PROCESS (this test binary, run again
// as a child) with SIGKILL at chosen points of its writes, then checks that
// the repository is consistent, that every earlier snapshot restores byte
// for byte, and that the next backup succeeds.

const (
	crashEnvRepo   = "ARCA_CRASH_CHILD_REPO"
	crashEnvSource = "ARCA_CRASH_CHILD_SOURCE"
	crashPassword  = "crash-test-password"
)

var crashInit = repo.InitOptions{
	KDF:     repo.KDFParams{Time: 1, Memory: 64, Threads: 1},
	Chunker: repo.ChunkerParams{Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10},
}

// crashOpen are the child's and the parent's writer options: small packs,
// so a backup of a few MiB writes many of them.
var crashOpen = repo.OpenOptions{PackSize: 256 << 10}

// announcingStore prints "put NAME" before and "done NAME" after every Put,
// so that the parent can kill the process at a known point of its writes.
type announcingStore struct {
	blob.Store
	out *os.File
}

func (s announcingStore) Put(ctx context.Context, name string, data []byte) error {
	fmt.Fprintf(s.out, "put %s\n", name)
	err := s.Store.Put(ctx, name, data)
	fmt.Fprintf(s.out, "done %s\n", name)
	return err
}

// TestCrashChildProcess is the child of TestBackupKilled: a backup of the
// source into the repository that its environment names.
func TestCrashChildProcess(t *testing.T) {
	dir, src := os.Getenv(crashEnvRepo), os.Getenv(crashEnvSource)
	if dir == "" {
		t.Skip("runs only as the child process of TestBackupKilled")
	}
	store, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := repo.Open(ctx, announcingStore{store, os.Stdout}, crashPassword, crashOpen)
	if err != nil {
		t.Fatal(err)
	}
	parent, err := r.FindSnapshot(ctx, "latest")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := archiver.New(r, archiver.Options{}).Snapshot(ctx, []string{src}, archiver.SnapshotOptions{Parent: &parent, NoScan: true}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("finished")
}

// killPoint says when to kill the child: at the n-th Put of an object under
// prefix, when it starts ("put": likely in the middle of writing it) or
// once it returned ("done").
type killPoint struct {
	event, prefix string
	n             int
}

func (k killPoint) String() string { return fmt.Sprintf("%s#%d-%s", k.prefix, k.n, k.event) }

func TestBackupKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPING in -short: runs backup processes")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "repo")
	store, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(ctx, store, crashPassword, crashInit)
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	archivertest.MakeBenchTree(t, src, 200, 2, 1<<20)
	first, err := archiver.New(r, archiver.Options{}).Snapshot(ctx, []string{src}, archiver.SnapshotOptions{NoScan: true})
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Earlier snapshots and the source trees they hold: each must restore
	// byte for byte after every crash.
	kept := map[repo.ID]map[string]archivertest.Entry{first.ID: archivertest.Scan(t, src, false)}
	points := []killPoint{
		{"put", "data/", 1}, {"done", "data/", 3}, {"put", "data/", 7},
		{"put", "index/", 1}, {"done", "index/", 1}, {"put", "snapshots/", 1}, {"done", "data/", 12},
	}
	for i, kp := range points {
		t.Run(kp.String(), func(t *testing.T) {
			growTree(t, src, i)
			killed := runChildUntil(t, dir, src, kp)
			r := openCrashRepo(t, dir)
			checkClean(t, r)
			for id, want := range kept {
				restoreAndCompare(t, r, id, filepath.Base(src), want)
			}
			// The next backup (in this process) succeeds and restores.
			parent, err := r.FindSnapshot(ctx, "latest")
			if err != nil {
				t.Fatal(err)
			}
			res, err := archiver.New(r, archiver.Options{}).Snapshot(ctx, []string{src}, archiver.SnapshotOptions{Parent: &parent, NoScan: true})
			if err != nil {
				t.Fatalf("backup after the crash: %v", err)
			}
			kept[res.ID] = archivertest.Scan(t, src, false)
			restoreAndCompare(t, r, res.ID, filepath.Base(src), kept[res.ID])
			checkClean(t, r)
			if !killed {
				t.Logf("the child finished before %v", kp)
			}
		})
	}
}

// runChildUntil runs the child backup and SIGKILLs it at kp. It reports
// whether the child was killed (false: it finished first).
func runChildUntil(t *testing.T, dir, src string, kp killPoint) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), crashEnvRepo+"="+dir, crashEnvSource+"="+src)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen, killed, finished := 0, false, false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		finished = finished || line == "finished"
		ev, name, ok := strings.Cut(line, " ")
		if killed || !ok || ev != kp.event || !strings.HasPrefix(name, kp.prefix) {
			continue
		}
		if seen++; seen == kp.n {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if killed {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("child ended with %v, not by the kill", err)
		}
		return true
	}
	if err != nil || !finished {
		t.Fatalf("child backup failed: %v", err)
	}
	return false
}

func openCrashRepo(t *testing.T, dir string) *repo.Repository {
	t.Helper()
	store, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(context.Background(), store, crashPassword, crashOpen)
	if err != nil {
		t.Fatalf("open after the crash: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// checkClean runs a full check (every pack read and verified).
func checkClean(t *testing.T, r *repo.Repository) {
	t.Helper()
	rep, err := checker.Check(context.Background(), r, checker.Options{ReadData: true})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("check found problems:\n%s", rep)
	}
}

// restoreAndCompare restores a snapshot and compares the tree restored
// under name with want (archivertest.Scan of the source when it was saved).
func restoreAndCompare(t *testing.T, r *repo.Repository, id repo.ID, name string, want map[string]archivertest.Entry) {
	t.Helper()
	ctx := context.Background()
	sn, err := r.LoadSnapshot(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	res, err := restorer.New(r).Restore(ctx, sn.Tree, target, restorer.Options{NoOwner: true})
	if err != nil {
		t.Fatalf("restore snapshot %s: %v", id.Short(), err)
	}
	if len(res.Failures) > 0 {
		t.Fatalf("restore snapshot %s: %v", id.Short(), res.Failures)
	}
	if diff := cmp.Diff(want, archivertest.Scan(t, filepath.Join(target, name), false)); diff != "" {
		t.Errorf("snapshot %s restores differently (-saved +restored):\n%s", id.Short(), diff)
	}
}

// growTree adds new content to the source, so that the next backup
// writes new packs: 3 files of 1 MiB of random bytes and some text.
func growTree(t *testing.T, src string, round int) {
	t.Helper()
	d := filepath.Join(src, "round"+strconv.Itoa(round))
	archivertest.MakeBenchTree(t, d, 100, 0, 0)
	rng := rand.New(rand.NewPCG(uint64(round), 99))
	for i := range 3 {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("big%d.bin", i)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
