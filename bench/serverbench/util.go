package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is one timed operation: wall time, and the CPU time it cost the
// process doing it.
type sample struct {
	wall, cpu time.Duration
	runq      time.Duration // waiting for a CPU (batches only)
}

func walls(ss []sample) []time.Duration {
	return pick(ss, func(s sample) time.Duration { return s.wall })
}
func cpus(ss []sample) []time.Duration {
	return pick(ss, func(s sample) time.Duration { return s.cpu })
}

func runqs(ss []sample) []time.Duration {
	return pick(ss, func(s sample) time.Duration { return s.runq })
}

func pick(ss []sample, f func(sample) time.Duration) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

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

// procCPU is the user + system CPU time a process has used so far (from
// /proc/PID/stat, in clock ticks of 10 ms).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	// Fields after the command name (which may hold spaces) start after ')'.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// selfCPU is this process's CPU time so far (the SSE watchers' cost).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procRunqWait is the time the threads of a process have spent runnable
// but waiting for a CPU (the second field of /proc/PID/task/*/schedstat):
// what the process lost to other work on the machine.
func procRunqWait(pid int) time.Duration {
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var sum int64
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			sum += n
		}
	}
	return time.Duration(sum)
}
