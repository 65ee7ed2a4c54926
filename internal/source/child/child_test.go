package child

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunConsumesStdout(t *testing.T) {
	var got []byte
	err := Run(context.Background(), Spec{Path: "sh", Args: []string{"-c", "echo $ARCA_X; echo oops >&2"}, Env: []string{"ARCA_X=hello"}},
		func(r io.Reader) error {
			var err error
			got, err = io.ReadAll(r)
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("hello\n", string(got)); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}

func TestRunExitError(t *testing.T) {
	err := Run(context.Background(), Spec{Path: "sh", Args: []string{"-c", "echo first >&2; echo 'the reason' >&2; exit 3"}}, nil)
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an ExitError", err)
	}
	if diff := cmp.Diff(ExitError{Program: "sh", Code: 3, Stderr: "first\nthe reason"}, *ee, cmp.FilterPath(
		func(p cmp.Path) bool { return p.String() == "Err" }, cmp.Ignore())); diff != "" {
		t.Errorf("exit error (-want +got):\n%s", diff)
	}
	if LastLine(ee.Stderr) != "the reason" {
		t.Errorf("LastLine = %q", LastLine(ee.Stderr))
	}
}

func TestRunMissingProgram(t *testing.T) {
	err := Run(context.Background(), Spec{Path: "arca-no-such-tool"}, nil)
	var ee *ExitError
	if !errors.As(err, &ee) || !ee.NotFound() {
		t.Fatalf("err = %v, want a not-found ExitError", err)
	}
}

// TestRunCancelKillsGroup cancels a child that started a grandchild and
// checks both are gone when Run returns.
func TestRunCancelKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Spec{Path: "sh", Args: []string{"-c", "sleep 300 & echo $! > " + pidFile + "; echo ready; wait"}},
			func(r io.Reader) error {
				buf := make([]byte, 6)
				if _, err := io.ReadFull(r, buf); err != nil {
					return err
				}
				close(started)
				_, err := io.Copy(io.Discard, r)
				return err
			})
	}()
	<-started
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	grandchild, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	t0 := time.Now()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("Run took %v to return after cancel", d)
	}
	// The grandchild was killed; it is reaped by init, so poll /proc briefly.
	deadline := time.Now().Add(5 * time.Second)
	for alive(grandchild) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still alive after cancel", grandchild)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && syscall.Kill(pid, 0) == nil
}

func TestTail(t *testing.T) {
	tl := NewTail(10)
	_, _ = tl.Write([]byte("line one\nline two\nend\n"))
	if diff := cmp.Diff("…end", tl.String()); diff != "" {
		t.Errorf("tail (-want +got):\n%s", diff)
	}
}

func TestPrivateDir(t *testing.T) {
	d, err := NewPrivateDir()
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.WriteFile("pass", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{d.Path(): 0o700 | os.ModeDir, p: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s mode %v, want %v", path, fi.Mode(), want)
		}
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path()); !os.IsNotExist(err) {
		t.Errorf("dir still there: %v", err)
	}
}

func TestLastLines(t *testing.T) {
	cases := []struct {
		in   string
		n, m int
		want string
	}{
		{"a\nb\nc\n", 2, 100, "…\nb\nc"},
		{"a\nb", 5, 100, "a\nb"},
		{"0123456789", 5, 4, "…6789"},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, LastLines(c.in, c.n, c.m)); diff != "" {
			t.Errorf("LastLines(%q, %d, %d) (-want +got):\n%s", c.in, c.n, c.m, diff)
		}
	}
}

// TestRunCancelWithEscapedGrandchild cancels a child whose grandchild
// left the process group (setsid) holding the output pipe: Run still
// returns, once killWait has passed.
func TestRunCancelWithEscapedGrandchild(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Spec{Path: "sh", Args: []string{"-c", "setsid sh -c 'echo $$ > " + pidFile + "; echo ready; exec sleep 300' & wait"}},
			func(r io.Reader) error {
				buf := make([]byte, 6)
				if _, err := io.ReadFull(r, buf); err != nil {
					return err
				}
				close(started)
				_, err := io.Copy(io.Discard, r)
				return err
			})
	}()
	<-started
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	t0 := time.Now()
	cancel()
	select {
	case err := <-done:
		if d := time.Since(t0); d < killWait {
			t.Errorf("Run returned after %v: the grandchild did not hold the pipe (test broken)", d)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(killWait + 10*time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
