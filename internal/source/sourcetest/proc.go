package sourcetest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Proc is a running process.
type Proc struct {
	PID     int
	Cmdline string // arguments joined by spaces
}

// Children returns the live (not zombie) descendants of this process,
// read from /proc.
func Children() []Proc {
	parent := map[int]int{}
	state := map[int]string{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		parent[pid], state[pid] = ppid, f[0]
	}
	self := os.Getpid()
	var out []Proc
	for pid := range parent {
		if state[pid] == "Z" || !descends(parent, pid, self) {
			continue
		}
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		out = append(out, Proc{PID: pid, Cmdline: strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))})
	}
	return out
}

func descends(parent map[int]int, pid, ancestor int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		pid = parent[pid]
		if pid == ancestor {
			return true
		}
	}
	return false
}

// Alive reports whether pid is a live (not zombie) process.
func Alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}
