package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
)

// server is an `arca server` process started for the benchmark.
type server struct {
	cmd    *exec.Cmd
	client *apiclient.Client
	url    string
	done   chan error
}

var tokenRE = regexp.MustCompile(`arca_[a-z0-9-]*_[a-z0-9]*`)

// startServer starts a server on a fresh data directory and waits until it
// is ready; the admin token is read from its first-start message.
func startServer(ctx context.Context, c config) (*server, error) {
	dir := filepath.Join(c.scratch, "server")
	logPath := filepath.Join(c.scratch, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	addr := fmt.Sprintf("127.0.0.1:%d", c.port)
	args := []string{"server", "--data", dir, "--listen", addr, "--restore-root", filepath.Join(c.scratch, "restores"),
		"--log-level", "warn", "--shutdown-timeout", "5s"}
	if c.serverProfile != "" {
		args = append(args, "--cpuprofile", c.serverProfile)
	}
	cmd := exec.Command(c.arca, args...)
	cmd.Stderr, cmd.Stdout = logf, logf
	cmd.Env = append(os.Environ(), "ARCA_ADMIN_TOKEN=")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx, logPath); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *server) waitReady(ctx context.Context, logPath string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("server exited: %v (see %s)", err, logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		b, _ := os.ReadFile(logPath)
		tok := tokenRE.Find(b)
		if tok == nil {
			continue
		}
		cl, err := apiclient.New(s.url, apiclient.Options{Token: string(tok), UserAgent: "serverbench"})
		if err != nil {
			return err
		}
		if cl.Ready(ctx) == nil {
			s.client = cl
			return nil
		}
	}
	return errors.New("server not ready after 30 s (see " + logPath + ")")
}

// stop ends the server with SIGTERM (so that a CPU profile is written).
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// cpu is the CPU time the server has used so far.
func (s *server) cpu() time.Duration { return procCPU(s.cmd.Process.Pid) }

// runqWait is the time the server's threads have waited for a CPU so far.
func (s *server) runqWait() time.Duration { return procRunqWait(s.cmd.Process.Pid) }
