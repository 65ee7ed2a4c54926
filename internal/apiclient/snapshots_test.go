package apiclient

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
)

const snapID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fileServer serves one file at /api/v1/snapshots/{snapID}/file with Range
// support (http.ServeContent), except that the requests numbered in
// breakAt (1-based) send the headers of the answer and then only cut bytes
// before the connection drops.
type fileServer struct {
	content []byte
	breakAt map[int]int // request number -> bytes sent before the break
	noRange bool        // ignore Range: always answer 200 with the whole file
	mu      sync.Mutex
	ranges  []string
}

func (f *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.ranges = append(f.ranges, r.Header.Get("Range"))
	n := len(f.ranges)
	f.mu.Unlock()
	if r.URL.Path != "/api/v1/snapshots/"+snapID+"/file" || r.URL.Query().Get("path") != "/data/big.bin" {
		http.NotFound(w, r)
		return
	}
	if cut, ok := f.breakAt[n]; ok {
		start := 0
		if rg := r.Header.Get("Range"); rg != "" {
			start, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(f.content)-1, len(f.content)))
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(f.content)-start))
		w.WriteHeader(map[bool]int{true: http.StatusPartialContent, false: http.StatusOK}[start > 0])
		_, _ = w.Write(f.content[start : start+cut])
		return // the server closes the connection: the body is short
	}
	if f.noRange {
		w.Header().Set("Content-Length", strconv.Itoa(len(f.content)))
		_, _ = w.Write(f.content)
		return
	}
	http.ServeContent(w, r, "big.bin", time.Time{}, bytes.NewReader(f.content))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestDownloadFileResumes(t *testing.T) {
	content := randomBytes(300_000)
	tests := []struct {
		name       string
		offset     int64 // bytes already downloaded
		breakAt    map[int]int
		noRange    bool
		wantRanges []string
	}{
		{"whole", 0, nil, false, []string{""}},
		{"broken twice", 0, map[int]int{1: 70_000, 2: 1000}, false, []string{"", "bytes=70000-", "bytes=71000-"}},
		{"resume a partial copy", 123_456, nil, false, []string{"bytes=123456-"}},
		{"already complete", 300_000, nil, false, []string{"bytes=300000-"}},
		{"server without ranges", 123_456, nil, true, []string{"bytes=123456-"}}, // the first bytes are skipped
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &fileServer{content: content, breakAt: tt.breakAt, noRange: tt.noRange}
			srv := httptest.NewServer(fs)
			defer srv.Close()
			c, err := New(srv.URL, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			got.Write(content[:tt.offset])
			n, size, err := c.DownloadFile(context.Background(), snapID, "/data/big.bin", &got, tt.offset)
			if err != nil {
				t.Fatalf("DownloadFile: %v", err)
			}
			if n != int64(len(content))-tt.offset || size != int64(len(content)) || !bytes.Equal(got.Bytes(), content) {
				t.Errorf("wrote %d bytes of %d (size %d); content equal: %v", n, len(content)-int(tt.offset), size, bytes.Equal(got.Bytes(), content))
			}
			if diff := cmp.Diff(tt.wantRanges, fs.ranges); diff != "" {
				t.Errorf("Range headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDownloadFileErrors(t *testing.T) {
	content := randomBytes(1000)
	fs := &fileServer{content: content, breakAt: map[int]int{1: 10, 2: 10, 3: 10, 4: 10, 5: 10, 6: 10, 7: 10}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c, err := New(srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Every transfer breaks after 10 bytes: progress each time, so it goes on
	// to the end.
	var got bytes.Buffer
	if _, _, err := c.DownloadFile(context.Background(), snapID, "/data/big.bin", &got, 0); err != nil || !bytes.Equal(got.Bytes(), content) {
		t.Errorf("download through 7 breaks: %v, equal %v", err, bytes.Equal(got.Bytes(), content))
	}
	// Past the end: a clear error, not a retry.
	_, _, err = c.DownloadFile(context.Background(), snapID, "/data/big.bin", &bytes.Buffer{}, 5000)
	if arca.ErrorCode(err) != arca.CodeInvalidArgument {
		t.Errorf("resume past the end: %v, want INVALID_ARGUMENT", err)
	}
	// A missing file: the server's error, once.
	before := len(fs.ranges)
	_, _, err = c.DownloadFile(context.Background(), snapID, "/nope", &bytes.Buffer{}, 0)
	if err == nil || len(fs.ranges) != before+1 {
		t.Errorf("missing file: %v after %d requests, want an error after 1", err, len(fs.ranges)-before)
	}
	// A bad snapshot id never reaches the server.
	_, _, err = c.DownloadFile(context.Background(), "latest", "/x", &bytes.Buffer{}, 0)
	if arca.ErrorCode(err) != arca.CodeInvalidArgument {
		t.Errorf("bad id: %v, want INVALID_ARGUMENT", err)
	}
}

func TestContentRange(t *testing.T) {
	tests := []struct {
		in          string
		start, size int64
		bad         bool
	}{
		{"bytes 0-99/100", 0, 100, false},
		{"bytes 70000-299999/300000", 70000, 300000, false},
		{"bytes */300", -1, 300, false},
		{"bytes 1-2", 0, 0, true},
		{"items 1-2/3", 0, 0, true},
		{"bytes x-2/3", 0, 0, true},
	}
	for _, tt := range tests {
		start, size, err := contentRange(tt.in)
		if (err != nil) != tt.bad || start != tt.start || size != tt.size {
			t.Errorf("contentRange(%q) = %d, %d, %v; want %d, %d, error %v", tt.in, start, size, err, tt.start, tt.size, tt.bad)
		}
	}
}
