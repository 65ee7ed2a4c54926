package main

import (
	"fmt"
	"io"
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
	return eachFile(dir, func(f *os.File) error {
		return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	})
}

// warm reads every file under dir, so that the next tool reads it from the
// page cache. compare.sh warms the dataset before each backup: borg drops
// the page cache of every file it reads (posix_fadvise DONTNEED), so the
// tool measured after borg read the dataset from disk.
func warm(dir string) error {
	return eachFile(dir, func(f *os.File) error {
		_, err := io.Copy(io.Discard, f)
		return err
	})
}

// eachFile calls fn with every regular file under dir, open for reading.
func eachFile(dir string, fn func(*os.File) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := fn(f); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		return nil
	})
}
