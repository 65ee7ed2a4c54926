package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

// TestRestartMidTaskGraceful: a server stopped while a task runs
// interrupts it; the next server on the same data directory runs it again
// (selftest is resumable), so it does not stay running.
func TestRestartMidTaskGraceful(t *testing.T) {
	data := t.TempDir()
	token := newToken(t)
	first := startServer(t, serverSetup{data: data, token: token})
	a := startSelftest(t, first.Client, serverapi.SelftestRequest{DurationMS: 1000, Steps: 10})
	watchUntil(t, first.Client, a.Task.ID, running)
	first.Stop(t)

	second := startServer(t, serverSetup{data: data, token: token})
	final, err := second.Client.WaitTask(context.Background(), a.Task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != "succeeded" || final.Attempt < 2 {
		t.Errorf("after restart: %s at attempt %d; want succeeded by a second attempt\nfirst server:\n%s\nsecond server:\n%s",
			final.State, final.Attempt, first.Stderr, second.Stderr)
	}
}

// TestRestartAfterKill: a server process killed with SIGKILL mid-task
// leaves the task running in the catalog; the next server rescues it at
// start.
func TestRestartAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	data := t.TempDir()
	token := newToken(t)
	proc, url := startServerProcess(t, data, token)
	c, err := apiclient.New(url, apiclient.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	a := startSelftest(t, c, serverapi.SelftestRequest{DurationMS: 1500, Steps: 15})
	watchUntil(t, c, a.Task.ID, running)
	if err := proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()

	second := startServer(t, serverSetup{data: data, token: token})
	after, err := second.Client.GetTask(context.Background(), a.Task.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if after.State == "running" && after.Attempt == 1 {
		t.Errorf("the killed server's task is still running at attempt 1 after the restart")
	}
	final, err := second.Client.WaitTask(context.Background(), a.Task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != "succeeded" || final.Attempt < 2 {
		t.Errorf("after kill and restart: %s at attempt %d (error %+v); want succeeded by a second attempt",
			final.State, final.Attempt, final.Error)
	}
}

var listenLine = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)

// startServerProcess runs `arca server` as a child process (this test
// binary, see TestMain) and returns it with its URL.
func startServerProcess(t *testing.T, data, token string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"server", "--listen", "127.0.0.1:0", "--data", data, "--log-level", "info"}, args...)...)
	cmd.Env = append(os.Environ(), "ARCA_TEST_RUN_MAIN=1", "ARCA_ADMIN_TOKEN="+token)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case url := <-found:
		return cmd, url
	case <-time.After(60 * time.Second):
		t.Fatal("server process did not start within a minute")
	}
	return nil, ""
}
