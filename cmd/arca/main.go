// Command arca is Arca's one binary: `arca server` runs the daemon, the
// other verbs are the command-line client of its API (and, offline, of a
// repository).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	stop()
	if err != nil {
		m.printError(err)
	}
	os.Exit(ExitCode(err))
}

// Main is one run of the arca binary, with its environment injected so that
// tests run it in-process (no globals: every input is a field).
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
	// Listening, when set, is called by `arca server` once it accepts
	// connections, with its base URL (tests listen on port 0).
	Listening func(baseURL string)
	// Version is the version the binary reports.
	Version string
}

// NewMain returns a Main on the process's standard streams and environment.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now, Version: "dev"}
}

// Run runs the command line args (without the program name) until it is
// done or ctx ends.
func (m *Main) Run(ctx context.Context, args []string) error {
	root := m.newRoot()
	root.SetArgs(args)
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	return root.ExecuteContext(ctx)
}

func (m *Main) printError(err error) {
	fmt.Fprintln(m.Stderr, "arca: "+describeError(err))
}
