package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
)

// TestMain lets a test run this binary's main as a child process (for
// killing a server mid-task): with ARCA_TEST_RUN_MAIN=1 the test binary is
// arca.
func TestMain(m *testing.M) {
	if os.Getenv("ARCA_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// syncBuffer is a goroutine-safe buffer for a server's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is an `arca server` run in-process by Main.Run.
type testServer struct {
	URL    string
	Token  string
	Data   string
	Client *apiclient.Client
	Stderr *syncBuffer
	stop   context.CancelFunc
	done   chan error
}

type serverSetup struct {
	data  string            // data dir (default: a new temp dir)
	token string            // ARCA_ADMIN_TOKEN (default: a new token)
	env   map[string]string // more environment
	args  []string          // more flags
}

func newToken(t testing.TB) string {
	t.Helper()
	plain, _, err := auth.NewToken(arca.DefaultTenant, "test", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// startServer runs a server until the test ends (or Stop).
func startServer(t *testing.T, s serverSetup) *testServer {
	t.Helper()
	if s.data == "" {
		s.data = t.TempDir()
	}
	if s.token == "" {
		s.token = newToken(t)
	}
	env := map[string]string{"ARCA_ADMIN_TOKEN": s.token}
	for k, v := range s.env {
		env[k] = v
	}
	ts := &testServer{Token: s.token, Data: s.data, Stderr: &syncBuffer{}, done: make(chan error, 1)}
	listening := make(chan string, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: ts.Stderr, Getenv: envFunc(env),
		Now: time.Now, Version: "test", Listening: func(u string) { listening <- u }}
	ctx, cancel := context.WithCancel(context.Background())
	ts.stop = cancel
	args := append([]string{"server", "--listen", "127.0.0.1:0", "--data", s.data, "--workers", "4",
		"--log-level", "warn", "--shutdown-timeout", "200ms"}, s.args...)
	go func() { ts.done <- m.Run(ctx, args) }()
	select {
	case ts.URL = <-listening:
	case err := <-ts.done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, ts.Stderr)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("server did not start within a minute:\n%s", ts.Stderr)
	}
	t.Cleanup(func() { ts.Stop(t) })
	c, err := apiclient.New(ts.URL, apiclient.Options{Token: ts.Token})
	if err != nil {
		t.Fatal(err)
	}
	ts.Client = c
	return ts
}

// Stop shuts the server down and waits for it; idempotent.
func (ts *testServer) Stop(t *testing.T) {
	t.Helper()
	if ts.done == nil {
		return
	}
	ts.stop()
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("server ended with: %v\n%s", err, ts.Stderr)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("server did not stop within a minute")
	}
	ts.done = nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not waiting for a goroutine blindly
	}
}
