//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockData takes an exclusive lock on the data directory so that two
// servers never share it. The lock goes with the process: a crash leaves
// no stale lock.
func lockData(dir string) (release func(), err error) {
	return lockFile(filepath.Join(dir, "arca.lock"), "data directory "+dir)
}

// lockFile takes an exclusive lock on path for what it names.
func lockFile(path, what string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is in use by another arca server (lock %s held)", what, path)
		}
		return nil, fmt.Errorf("lock %s: %w", what, err)
	}
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
