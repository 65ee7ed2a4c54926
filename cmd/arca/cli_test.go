package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/serverapi"
)

// cli runs one arca command line in-process against a client config in dir.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{"ARCA_CONFIG": filepath.Join(t.TempDir(), "arca", "config.json")}}
}

func (c *cli) run(stdin string, args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: envFunc(c.env), Version: "test"}
	err := m.Run(context.Background(), args)
	if err != nil {
		m.printError(err)
	}
	return out.String(), errb.String(), ExitCode(err)
}

func TestCLILoginAndTasks(t *testing.T) {
	ts := startServer(t, serverSetup{})
	c := newCLI(t)

	if _, stderr, code := c.run("", "task", "list"); code != ExitAuth {
		t.Errorf("task list before login: exit %d (%s), want %d", code, stderr, ExitAuth)
	}
	if _, stderr, code := c.run("", "login", ts.URL, "--token", newToken(t)); code != ExitAuth {
		t.Errorf("login with an unknown token: exit %d (%s), want %d", code, stderr, ExitAuth)
	}
	// The token from a prompt on standard input.
	out, stderr, code := c.run(ts.Token+"\n", "login", ts.URL)
	if code != 0 || !strings.Contains(out, "Logged in") {
		t.Fatalf("login: exit %d\n%s%s", code, out, stderr)
	}
	fi, err := os.Stat(c.env["ARCA_CONFIG"])
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v; want 0600", err, fi.Mode())
	}

	out, stderr, code = c.run("", "selftest", "--duration", "100ms", "--steps", "3", "--wait")
	if code != 0 || !strings.Contains(out, "succeeded") {
		t.Errorf("selftest --wait: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code = c.run("", "selftest", "--duration", "50ms", "--fail", "--wait", "--json")
	if code != ExitTaskFailed {
		t.Errorf("selftest --fail --wait: exit %d, want %d\n%s%s", code, ExitTaskFailed, out, stderr)
	}

	out, _, code = c.run("", "task", "list", "--json")
	var list serverapi.TaskList
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list.Items) != 2 {
		t.Fatalf("task list --json: exit %d, %d tasks, err %v\n%s", code, len(list.Items), err, out)
	}
	failed := list.Items[0]
	out, _, code = c.run("", "task", "get", failed.ID)
	if code != 0 || !strings.Contains(out, "failed") || !strings.Contains(out, failed.ID) {
		t.Errorf("task get: exit %d\n%s", code, out)
	}
	if _, _, code = c.run("", "task", "watch", failed.ID); code != ExitTaskFailed {
		t.Errorf("task watch of a failed task: exit %d, want %d", code, ExitTaskFailed)
	}
	if _, _, code = c.run("", "task", "rm", failed.ID); code != 0 {
		t.Errorf("task rm: exit %d", code)
	}
	if _, stderr, code = c.run("", "task", "get", failed.ID); code != ExitError || !strings.Contains(stderr, "not found") {
		t.Errorf("task get after rm: exit %d, %s", code, stderr)
	}
	if _, _, code = c.run("", "task", "get"); code != ExitUsage {
		t.Errorf("task get without an id: exit %d, want %d", code, ExitUsage)
	}
	if _, _, code = c.run("", "task", "list", "--no-such-flag"); code != ExitUsage {
		t.Errorf("unknown flag: exit %d, want %d", code, ExitUsage)
	}
}

func TestCLICancel(t *testing.T) {
	ts := startServer(t, serverSetup{})
	c := newCLI(t)
	c.env["ARCA_URL"], c.env["ARCA_TOKEN"] = ts.URL, ts.Token
	a := startSelftest(t, ts.Client, serverapi.SelftestRequest{DurationMS: 600_000, Steps: 600})
	watchUntil(t, ts.Client, a.Task.ID, running)
	if out, stderr, code := c.run("", "task", "cancel", a.Task.ID); code != 0 {
		t.Fatalf("task cancel: exit %d\n%s%s", code, out, stderr)
	}
	if out, _, code := c.run("", "task", "watch", a.Task.ID); code != ExitTaskCancel {
		t.Errorf("task watch of a canceled task: exit %d, want %d\n%s", code, ExitTaskCancel, out)
	}
}
