package blobtest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/arcabackup/arca/internal/repo/blob"
)

func listInfos(t *testing.T, s blob.Store, prefix string) map[string]int64 {
	t.Helper()
	var mu sync.Mutex
	got := map[string]int64{}
	err := s.List(t.Context(), prefix, func(fi blob.Info) error {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := got[fi.Name]; dup {
			t.Errorf("List(%q) reported %q twice", prefix, fi.Name)
		}
		got[fi.Name] = fi.Size
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return got
}

func listNames(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var names []string
	for name := range listInfos(t, s, prefix) {
		names = append(names, name)
	}
	return sorted(names)
}

func sorted(names []string) []string {
	names = slices.Clone(names)
	slices.Sort(names)
	return names
}

func testListPrefix(t *testing.T, s blob.Store) {
	objects := map[string]int64{
		"config":                       3,
		"keys/k1":                      4,
		"data/ab/abcd01":               5,
		"data/ab/abcd02":               6,
		"data/ac/acdc01":               7,
		"data/abz":                     8,
		"index/i1":                     9,
		"snapshots/2026/s1":            10,
		"snapshots/2026/deeper/nested": 11,
	}
	for name, size := range objects {
		mustPut(t, s, name, randomData(uint64(size), int(size)))
	}
	pick := func(names ...string) map[string]int64 {
		m := map[string]int64{}
		for _, n := range names {
			m[n] = objects[n]
		}
		return m
	}
	tests := []struct {
		prefix string
		want   map[string]int64
	}{
		{"", objects},
		{"data/", pick("data/ab/abcd01", "data/ab/abcd02", "data/ac/acdc01", "data/abz")},
		{"data/ab", pick("data/ab/abcd01", "data/ab/abcd02", "data/abz")},
		{"data/ab/", pick("data/ab/abcd01", "data/ab/abcd02")},
		{"data/ab/abcd0", pick("data/ab/abcd01", "data/ab/abcd02")},
		{"data/ab/abcd01", pick("data/ab/abcd01")},
		{"dat", pick("data/ab/abcd01", "data/ab/abcd02", "data/ac/acdc01", "data/abz")},
		{"con", pick("config")},
		{"config", pick("config")},
		{"snapshots/", pick("snapshots/2026/s1", "snapshots/2026/deeper/nested")},
		{"snapshots/2026/d", pick("snapshots/2026/deeper/nested")},
		{"nothing/", map[string]int64{}},
		{"data/zz/", map[string]int64{}},
		{"config/", map[string]int64{}},
		{"../", map[string]int64{}},
		{"/", map[string]int64{}},
		{"./", map[string]int64{}},
		{"data//", map[string]int64{}},
		{"data/../", map[string]int64{}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, listInfos(t, s, tc.prefix)); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", tc.prefix, diff)
		}
	}
}

func testListMany(t *testing.T, s blob.Store) {
	const n = 1200
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("data/%02x/%064x", i%256, i))
	}
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(max(s.Connections(), 4))
	for i, name := range want {
		g.Go(func() error { return s.Put(ctx, name, []byte{byte(i)}) })
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Put: %v", err)
	}
	mustPut(t, s, "index/outside", []byte("x"))
	if diff := cmp.Diff(sorted(want), listNames(t, s, "data/")); diff != "" {
		t.Errorf("List(data/) (-want +got):\n%s", diff)
	}
	if got := listNames(t, s, "data/0a/"); len(got) != 5 {
		t.Errorf("List(data/0a/) = %d names, want 5", len(got))
	}
}
