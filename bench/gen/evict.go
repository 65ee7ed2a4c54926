package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// evict drops the page cache of every file under dir
// (posix_fadvise POSIX_FADV_DONTNEED; dirty pages stay, so sync first).
// compare.sh evicts what each tool wrote, so that a run's repositories and
// restores do not push the dataset out of the page cache for the next.
func evict(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			return fmt.Errorf("evict %s: %w", p, err)
		}
		return nil
	})
}
