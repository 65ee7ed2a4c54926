package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// TestCLIBatchBackupAndExitCodes: a batch of 3 sources followed with
// --wait (plain lines: no terminal), then the exit codes of a failed task,
// a partly failed batch, API errors (4xx) and bad command lines.
func TestCLIBatchBackupAndExitCodes(t *testing.T) {
	c := newServerCLI(t)
	c.ok("repository", "add", "main", filepath.Join(t.TempDir(), "repo"), "--wait")
	for i, name := range []string{"alpha", "beta", "gamma"} {
		dir := filepath.Join(t.TempDir(), name)
		for p, b := range randomFiles(uint64(i+10), 4, 20<<10) {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c.ok("source", "add", name, "--repository", "main", "--path", dir)
	}

	out, stderr, code := c.run("", "backup", "alpha", "beta", "gamma", "--wait", "--tag", "nightly")
	if code != 0 {
		t.Fatalf("batch backup --wait: exit %d\n%s%s", code, out, stderr)
	}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		if !regexp.MustCompile(`(?m)^` + name + `: backup succeeded, snapshot [0-9a-f]{8}: 4 files`).MatchString(out) {
			t.Errorf("batch output lacks the outcome of %s:\n%s", name, out)
		}
	}
	if !regexp.MustCompile(`(?m)^Batch task \S+ succeeded: 3 of 3 succeeded\.$`).MatchString(out) {
		t.Errorf("batch output lacks the batch's outcome:\n%s", out)
	}
	if strings.Contains(stderr, "\x1b[") {
		t.Errorf("progress without a terminal has escape sequences:\n%q", stderr)
	}
	var snaps serverapi.SnapshotList
	c.okJSON(&snaps, "snapshot", "ls", "--tag", "nightly", "--json")
	if len(snaps.Items) != 3 {
		t.Errorf("snapshot ls --tag nightly: %d snapshots, want 3", len(snaps.Items))
	}

	// A source whose backup fails: exit 3 alone, 5 in a batch with a good one.
	c.ok("source", "add", "bad", "--repository", "main", "--kind", "command", "--skip-probe",
		"--settings", `{"command": ["sh", "-c", "echo broken >&2; exit 7"], "name": "out"}`)
	out, _ = c.exit(ExitTaskFailed, "backup", "bad", "--wait")
	if !strings.Contains(out, "bad: backup failed: ") {
		t.Errorf("failed backup --wait printed:\n%s", out)
	}
	out, _ = c.exit(ExitTaskPartial, "backup", "alpha", "bad", "--wait")
	if !strings.Contains(out, "partially_succeeded: 1 of 2 succeeded, 1 failed.") {
		t.Errorf("partly failed batch printed:\n%s", out)
	}
	var final serverapi.Task
	c.exit(ExitTaskFailed, "backup", "bad", "--wait", "--json")
	c.okJSON(&final, "backup", "alpha", "--wait", "--json")
	if final.State != "succeeded" || final.ResultType != "backup" {
		t.Errorf("backup --wait --json: %+v", final)
	}

	// API errors: 4xx are exit 1 and name the request; bad credentials 6.
	_, stderr = c.exit(ExitError, "backup", arca.NewID(time.Now()))
	if !strings.Contains(stderr, "request id") {
		t.Errorf("404 from the server: %s", stderr)
	}
	var snap = snaps.Items[0].ID
	_, stderr = c.exit(ExitError, "restore", snap, "--target", filepath.Join(t.TempDir(), "outside"))
	if !strings.Contains(stderr, "outside") {
		t.Errorf("restore outside the roots: %s", stderr)
	}
	c.exit(ExitError, "backup", "no-such-source")
	c.exit(ExitError, "snapshot", "show", "ffffffffff")
	c.exit(ExitError, "source", "add", "x", "--repository", "no-such-repo", "--path", "/tmp")

	c.exit(ExitUsage, "backup")
	c.exit(ExitUsage, "backup", "alpha", "--level", "sideways")
	c.exit(ExitUsage, "repository", "add", "rel", "relative/path")
	c.exit(ExitUsage, "source", "add", "x", "--repository", "main")
	c.exit(ExitUsage, "restore", snap)
	c.exit(ExitUsage, "prune", "main", "--keep-within", "soon")
	c.exit(ExitUsage, "snapshot", "ls", "--since", "yesterday-ish")
	delete(c.env, "ARCA_REPOSITORY_PASSWORD")
	c.exit(ExitUsage, "repository", "add", "nopass", filepath.Join(t.TempDir(), "r2"))

	c.env["ARCA_TOKEN"] = newToken(t)
	c.exit(ExitAuth, "snapshot", "ls")
}

// TestCLIBackupInUseAndCanceled: a second backup of a source whose backup
// runs is refused (exit 1, naming the running task); a followed backup
// that is canceled ends --wait with exit 4.
func TestCLIBackupInUseAndCanceled(t *testing.T) {
	c := newServerCLI(t)
	c.ok("repository", "add", "main", filepath.Join(t.TempDir(), "repo"), "--wait")
	c.ok("source", "add", "slow", "--repository", "main", "--kind", "command", "--skip-probe",
		"--settings", `{"command": ["sh", "-c", "echo start; sleep 60"], "name": "out"}`)

	type result struct {
		out, stderr string
		code        int
	}
	done := make(chan result, 1)
	go func() {
		out, stderr, code := c.run("", "backup", "slow", "--wait")
		done <- result{out, stderr, code}
	}()
	var running serverapi.Task
	waitFor(t, "the backup to run", func() bool {
		l, err := c.ts.Client.ListTasks(context.Background(), apiclient.TaskFilter{Operation: "backup", States: []string{"running"}}, "")
		if err == nil && len(l.Items) == 1 {
			running = l.Items[0]
			return true
		}
		return false
	})
	_, stderr := c.exit(ExitError, "backup", "slow")
	if !strings.Contains(stderr, running.ID) {
		t.Errorf("second backup of a busy source: %s; want the running task %s named", stderr, running.ID)
	}
	c.ok("task", "cancel", running.ID)
	select {
	case r := <-done:
		if r.code != ExitTaskCancel || !strings.Contains(r.out, "slow: backup canceled") {
			t.Errorf("backup --wait of a canceled backup: exit %d, want %d\n%s%s", r.code, ExitTaskCancel, r.out, r.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("backup --wait did not return after the cancel")
	}
	var snaps serverapi.SnapshotList
	c.okJSON(&snaps, "snapshot", "ls", "--json")
	if len(snaps.Items) != 0 {
		t.Errorf("a canceled backup left snapshots: %+v", snaps.Items)
	}
}
