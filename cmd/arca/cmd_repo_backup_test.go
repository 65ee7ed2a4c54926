package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/repo"
)

// TestReportBackupWarnings: a snapshot saved with unreadable files exits 3
// and lists each file. (Running as root, a test cannot make a file
// unreadable, so this runs at the report seam; TestRepoBackupUnreadable
// covers the whole path where it can.)
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

// TestRepoBackupUnreadable backs up a tree with an unreadable file.
func TestRepoBackupUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("SKIPPING: root reads every file; TestReportBackupWarnings covers the exit code")
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
