package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratio is median(a) / median(b).
func ratio(a, b []time.Duration) float64 {
	return median(a).Seconds() / median(b).Seconds()
}

func secs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(time.Millisecond).String()
	}
	return strings.Join(parts, " / ")
}

// loadavg is the 1-minute load average.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func walkFiles(dir string, fn func(fs.FileInfo)) {
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				fn(fi)
			}
		}
		return nil
	})
}

func dirBytes(dir string) int64 {
	var n int64
	walkFiles(dir, func(fi fs.FileInfo) { n += fi.Size() })
	return n
}

func dirFiles(dir string) int {
	var n int
	walkFiles(dir, func(fs.FileInfo) { n++ })
	return n
}

func removeAll(path string) error { return os.RemoveAll(path) }
