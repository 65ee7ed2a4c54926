package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/serverapi"
)

var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestParseWhen(t *testing.T) {
	tests := []struct {
		in    string
		want  time.Time
		usage bool
	}{
		{"", time.Time{}, false},
		{"2026-11-01T08:00:00Z", time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), false},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.Local), false},
		{"36h", fixedNow.Add(-36 * time.Hour), false},
		{"7d", fixedNow.Add(-7 * 24 * time.Hour), false},
		{"yesterday", time.Time{}, true},
		{"2026-13-01", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseWhen(tt.in, fixedNow)
		if tt.usage {
			if ExitCode(err) != ExitUsage {
				t.Errorf("parseWhen(%q) = %v, %v; want a usage error", tt.in, got, err)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestDownloadOutput(t *testing.T) {
	tests := []struct {
		path string
		f    downloadFlags
		want string
	}{
		{"www/index.html", downloadFlags{}, "index.html"},
		{"/www/index.html", downloadFlags{output: "-"}, "-"},
		{"www/static", downloadFlags{archive: "zip"}, "static.zip"},
		{"/", downloadFlags{archive: "tar"}, "snapshot.tar"},
		{"", downloadFlags{archive: "tar"}, "snapshot.tar"},
		{"../../etc/passwd", downloadFlags{}, "passwd"},
	}
	for _, tt := range tests {
		if got := downloadOutput(tt.path, tt.f); got != tt.want {
			t.Errorf("downloadOutput(%q, %+v) = %q, want %q", tt.path, tt.f, got, tt.want)
		}
	}
}

func TestPrintTree(t *testing.T) {
	mt := time.Date(2026, 11, 2, 9, 30, 0, 0, time.Local)
	l := serverapi.TreeListing{Path: "www", Entries: []serverapi.TreeEntry{
		{Name: "a", Type: "dir", Mode: "-rwxr-xr-x", ModTime: mt},
		{Name: "big.bin", Type: "file", Size: 3145728, Mode: "-rw-r-----", ModTime: mt},
		{Name: "link", Type: "symlink", Mode: "-rwxrwxrwx", ModTime: mt, Target: "small.txt"},
	}}
	var b bytes.Buffer
	if err := printTree(&b, l); err != nil {
		t.Fatal(err)
	}
	want := "drwxr-xr-x       0 2026-11-02 09:30 a/\n" +
		"-rw-r----- 3145728 2026-11-02 09:30 big.bin\n" +
		"lrwxrwxrwx       0 2026-11-02 09:30 link -> small.txt\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("printTree (-want +got):\n%s", diff)
	}
}

func TestPrintSnapshotTable(t *testing.T) {
	stats, _ := json.Marshal(map[string]any{"files": 12, "total_bytes": 5 << 20})
	at := time.Date(2026, 11, 2, 9, 30, 0, 0, time.Local)
	ss := []serverapi.Snapshot{
		{ID: "0123456789abcdef", SourceID: "src-1", Time: at, Tags: []string{"nightly", "db"}, Stats: stats},
		{ID: "fedcba9876543210", Time: at, CopyOnly: true},
	}
	var b bytes.Buffer
	if err := printSnapshotTable(&b, ss, map[string]string{"src-1": "www"}); err != nil {
		t.Fatal(err)
	}
	want := "ID        TIME                 SOURCE  TAGS         FILES  SIZE\n" +
		"01234567  2026-11-02 09:30:00  www     nightly,db   12     5.0 MiB\n" +
		"fedcba98  2026-11-02 09:30:00  -       (copy-only)  0      0 B\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}
