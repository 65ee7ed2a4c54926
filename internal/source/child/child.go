// Package child runs the tools of source drivers (pg_dump, mariadb-dump, a
// user's command) as child processes the way every driver needs them: in a
// process group of their own that is killed whole when the context ends,
// with a clean environment plus what the driver adds (never a secret in the
// argument list), and with the tail of their standard error kept for the
// error a user sees.
package child

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Spec is one child process.
type Spec struct {
	Path string   // the program; resolved through PATH when it has no "/"
	Args []string // arguments, without the program name; never a secret
	// Env is added to a copy of this process's environment from which the
	// variables of the database clients (PG*, MYSQL*) were removed, so that
	// nothing but the driver's settings steer the tool. LC_ALL=C is set so
	// that messages are in English, for the driver to classify.
	Env   []string
	Dir   string
	Stdin io.Reader
	// Stdout receives standard output when Run's consume is nil; nil
	// discards it.
	Stdout io.Writer
}

// killWait is how long Run waits for pipes after the process group was
// killed.
const killWait = 5 * time.Second

// Run starts spec and hands its standard output to consume (when not nil),
// then waits for it. When ctx ends, or consume fails, the child's whole
// process group is killed. It returns ctx's error if ctx ended, consume's
// error if it failed, an *ExitError if the child failed, or nil.
func Run(ctx context.Context, spec Spec, consume func(io.Reader) error) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(cctx, spec.Path, spec.Args...)
	cmd.Env = Environ(spec.Env)
	cmd.Dir = spec.Dir
	cmd.Stdin = spec.Stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = killWait
	tail := NewTail(4096)
	cmd.Stderr = tail
	var stdout *os.File
	if consume != nil {
		r, w, err := pipe()
		if err != nil {
			return fmt.Errorf("pipe %s: %w", spec.Path, err)
		}
		defer r.Close()
		stdout, cmd.Stdout = r, w
	} else {
		cmd.Stdout = spec.Stdout
	}
	err := cmd.Start()
	if w, ok := cmd.Stdout.(*os.File); ok && consume != nil {
		_ = w.Close() // the child has its copy
	}
	if err != nil {
		return &ExitError{Program: spec.Path, Code: -1, Err: err}
	}
	pid := cmd.Process.Pid
	var consumeErr error
	if consume != nil {
		stopWatch := unblockAfterCancel(cctx, stdout)
		defer stopWatch()
		consumeErr = consume(stdout)
		if consumeErr != nil {
			cancel()
		}
		_, _ = io.Copy(io.Discard, stdout) // let the child finish writing; no-op once killed
		_ = stdout.Close()
	}
	waitErr := cmd.Wait()
	_ = killGroup(pid) // grandchildren left behind by a child that exited
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", spec.Path, context.Cause(ctx))
	case consumeErr != nil:
		return consumeErr
	case waitErr != nil:
		code := -1
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			code = ee.ExitCode()
		}
		return &ExitError{Program: spec.Path, Code: code, Stderr: tail.String(), Err: waitErr}
	}
	return nil
}

// unblockAfterCancel closes stdout killWait after ctx ends, so that a
// read is not left waiting on a pipe that a process outside the killed
// group (one that called setsid) still holds open. The returned function
// stops the watch and waits for it.
func unblockAfterCancel(ctx context.Context, stdout *os.File) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-done:
		case <-ctx.Done():
			t := time.NewTimer(killWait)
			defer t.Stop()
			select {
			case <-done:
			case <-t.C:
				_ = stdout.Close()
			}
		}
	}()
	return func() {
		select {
		case <-done:
		default:
			close(done)
		}
		<-stopped
	}
}

// killGroup kills the process group led by pid. Linux does not reuse a
// pid while a process group of that id exists, so this is safe after the
// leader was reaped.
func killGroup(pid int) error {
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// Environ returns this process's environment without the database
// clients' variables, with LC_ALL=C and extra added.
func Environ(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "MYSQL") || strings.HasPrefix(kv, "LC_ALL=") ||
			strings.HasPrefix(kv, "LANGUAGE=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "LC_ALL=C")
	return append(env, extra...)
}

// ExitError is a child that could not start or did not succeed.
type ExitError struct {
	Program string
	Code    int    // exit status; -1 if it did not start or was killed
	Stderr  string // the tail of its standard error
	Err     error
}

func (e *ExitError) Error() string {
	if e.Code < 0 {
		return fmt.Sprintf("%s: %v: %s", e.Program, e.Err, e.Stderr)
	}
	return fmt.Sprintf("%s exited with status %d: %s", e.Program, e.Code, e.Stderr)
}

func (e *ExitError) Unwrap() error { return e.Err }

// NotFound reports whether the program could not be found or run.
func (e *ExitError) NotFound() bool {
	return errors.Is(e.Err, exec.ErrNotFound) || errors.Is(e.Err, os.ErrNotExist) || errors.Is(e.Err, os.ErrPermission)
}
