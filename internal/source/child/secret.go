package child

import (
	"fmt"
	"os"
	"path/filepath"
)

// PrivateDir is a temporary directory only this process's user can enter,
// for files holding secrets that a child reads (a PGPASSFILE, a MySQL
// option file). Remove it when the child has ended.
type PrivateDir struct{ path string }

// NewPrivateDir creates a private directory under the system's temporary
// directory.
func NewPrivateDir() (*PrivateDir, error) {
	p, err := os.MkdirTemp("", "arca-source-")
	if err != nil {
		return nil, fmt.Errorf("private dir: %w", err)
	}
	if err := os.Chmod(p, 0o700); err != nil {
		_ = os.RemoveAll(p)
		return nil, fmt.Errorf("private dir: %w", err)
	}
	return &PrivateDir{path: p}, nil
}

// Path is the directory's path.
func (d *PrivateDir) Path() string { return d.path }

// WriteFile writes content to a new file name (0600) in the directory and
// returns its path.
func (d *PrivateDir) WriteFile(name, content string) (string, error) {
	p := filepath.Join(d.path, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := f.WriteString(content); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return p, nil
}

// Remove deletes the directory and everything in it.
func (d *PrivateDir) Remove() error { return os.RemoveAll(d.path) }
