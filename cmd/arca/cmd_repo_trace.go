package main

import (
	"fmt"
	"os"
	"runtime/trace"
)

// startTrace writes a runtime execution trace to path (if not empty) until
// the returned function is called: `go tool trace` then shows where the
// pipeline's goroutines wait.
func startTrace(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("trace: %w", err)
	}
	return func() {
		trace.Stop()
		f.Close()
	}, nil
}
