package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/repo"
)

// TestReportBackupWarnings: a snapshot saved with unreadable files exits 3
// and lists each file (at the report seam; TestRepoBackupUnreadable
// covers the whole path).
func TestReportBackupWarnings(t *testing.T) {
	var out, errb bytes.Buffer
	o := &repoOptions{m: &Main{Stdout: &out, Stderr: &errb}}
	res := &archiver.Result{
		ID:       repo.ID{1},
		Snapshot: &repo.Snapshot{Stats: repo.SnapshotStats{Files: 3, Warnings: 2}},
		Warnings: []archiver.Warning{{Path: "/a", Message: "permission denied"}, {Path: "/b", Message: "vanished"}},
	}
	err := o.reportBackup(res, false)
	if code := ExitCode(err); code != ExitRepoWarnings {
		t.Errorf("exit code %d, want %d (err %v)", code, ExitRepoWarnings, err)
	}
	for _, want := range []string{"warning: /a: permission denied", "warning: /b: vanished"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr %q does not list %q", errb.String(), want)
		}
	}
	if !strings.Contains(out.String(), "snapshot 01000000 saved") {
		t.Errorf("stdout %q does not report the snapshot", out.String())
	}
	res.Snapshot.Stats.Warnings, res.Warnings = 0, nil
	if err := o.reportBackup(res, false); err != nil {
		t.Errorf("no warnings: %v, want success", err)
	}
}

// TestRepoBackupUnreadable backs up a tree with an unreadable file: the
// snapshot is saved, the file is named, the exit code is 3. As root (CI)
// the backup runs as a child process with the credentials of nobody, since
// root reads every file.
func TestRepoBackupUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		testRepoBackupUnreadableAsNobody(t)
		return
	}
	c := newRepoCLI(t)
	c.ok("init")
	src := t.TempDir()
	secret := filepath.Join(src, "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	r := c.wantExit(ExitRepoWarnings, "could not be read", "backup", src)
	if !strings.Contains(r.stderr, "secret") {
		t.Errorf("stderr does not name the unreadable file:\n%s", r.stderr)
	}
}

func testRepoBackupUnreadableAsNobody(t *testing.T) {
	const nobody = 65534
	// A directory nobody can use (t.TempDir's are root's, mode 0700), with
	// a copy of this test binary nobody can run.
	top, err := os.MkdirTemp("", "arca-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	bin := filepath.Join(top, "arca")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(top, "src")
	for _, step := range []error{
		os.Chmod(top, 0o777),
		os.WriteFile(bin, self, 0o755),
		os.Mkdir(src, 0o755),
		os.WriteFile(filepath.Join(src, "readable"), []byte("r"), 0o644),
		os.WriteFile(filepath.Join(src, "secret"), []byte("x"), 0o000),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	run := func(args ...string) (code int, stderr, stdout string) {
		cmd := exec.Command(bin, append([]string{"repo", "--kdf-time", "1", "--kdf-memory", "1024"}, args...)...)
		cmd.Env = []string{"ARCA_TEST_RUN_MAIN=1", "HOME=" + top, "ARCA_PASSWORD=pw", "ARCA_REPOSITORY=" + filepath.Join(top, "repo")}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		var errb, out bytes.Buffer
		cmd.Stderr, cmd.Stdout = &errb, &out
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("run %v: %v", args, err)
		}
		return cmd.ProcessState.ExitCode(), errb.String(), out.String()
	}
	if code, stderr, _ := run("init"); code != 0 {
		t.Fatalf("init as nobody: exit %d\n%s", code, stderr)
	}
	code, stderr, _ := run("backup", src)
	if code != ExitRepoWarnings || !strings.Contains(stderr, "could not be read") || !strings.Contains(stderr, "secret") {
		t.Errorf("backup as nobody: exit %d, stderr:\n%s\nwant exit %d naming the unreadable file", code, stderr, ExitRepoWarnings)
	}
	code, stderr, stdout := run("ls", "latest")
	if code != 0 || !strings.Contains(stdout, "readable") || strings.Contains(stdout, "secret") {
		t.Errorf("ls latest: exit %d, stdout:\n%s\nstderr:\n%s\nwant the readable file only", code, stdout, stderr)
	}
}

// TestRepoInterrupted: a run whose context is canceled (SIGINT, SIGTERM)
// exits 130, not as a failure.
func TestRepoInterrupted(t *testing.T) {
	c := newRepoCLI(t)
	c.ok("init")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, args := range [][]string{{"backup", t.TempDir()}, {"snapshots"}, {"check"}} {
		if r := c.runCtx(ctx, args...); r.code != ExitInterrupted {
			t.Errorf("canceled %v: exit %d, want %d; stderr %s", args, r.code, ExitInterrupted, r.stderr)
		}
	}
}
