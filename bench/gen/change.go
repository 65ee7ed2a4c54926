package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// A dataset (bench/dataset.sh) is DATASET/data/{gosrc,random,logs}. change
// modifies about 1% of its bytes the way a day of use might, touching
// about 1% of the files, and keeps the originals under DATASET/pristine so
// that reset can put them back:
//   - gosrc: every 100th file (in sorted path order) gets a line appended;
//   - random: 8 MiB in the middle of random-007 are overwritten;
//   - logs: the last log file grows by 4 MiB, and a new 2 MiB log appears.
func change(dataset string) error {
	data, pristine := filepath.Join(dataset, "data"), filepath.Join(dataset, "pristine")
	if _, err := os.Stat(pristine); err == nil {
		return fmt.Errorf("%s exists: the dataset is already changed (run reset first)", pristine)
	}
	src, err := regularFiles(filepath.Join(data, "gosrc"))
	if err != nil {
		return err
	}
	for i := 0; i < len(src); i += 100 {
		if err := keep(data, pristine, src[i]); err != nil {
			return err
		}
		if err := appendTo(src[i], "\n// changed by the benchmark\n"); err != nil {
			return err
		}
	}
	rnd := fileName(filepath.Join(data, "random"), "random", 7)
	if err := keep(data, pristine, rnd); err != nil {
		return err
	}
	if err := writeRandom(rnd, 8<<20, 99, 7, 4<<20); err != nil {
		return err
	}
	logs, err := regularFiles(filepath.Join(data, "logs"))
	if err != nil || len(logs) == 0 {
		return fmt.Errorf("logs: %d files, %v", len(logs), err)
	}
	last := logs[len(logs)-1]
	if err := keep(data, pristine, last); err != nil {
		return err
	}
	if err := writeLog(last, 4<<20, 999, true); err != nil {
		return err
	}
	return writeLog(filepath.Join(data, "logs", "log-new"), 2<<20, 998, false)
}

// reset undoes change: originals go back, the new log goes away.
func reset(dataset string) error {
	data, pristine := filepath.Join(dataset, "data"), filepath.Join(dataset, "pristine")
	if _, err := os.Stat(pristine); errors.Is(err, fs.ErrNotExist) {
		return nil // not changed
	}
	kept, err := regularFiles(pristine)
	if err != nil {
		return err
	}
	for _, p := range kept {
		rel, _ := filepath.Rel(pristine, p)
		if err := os.Rename(p, filepath.Join(data, rel)); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(data, "logs", "log-new")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.RemoveAll(pristine)
}

func regularFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	sort.Strings(out)
	return out, err
}

// keep copies the file at p (under data) to the same place under pristine.
func keep(data, pristine, p string) error {
	rel, err := filepath.Rel(data, p)
	if err != nil {
		return err
	}
	dst := filepath.Join(pristine, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func appendTo(p, s string) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
