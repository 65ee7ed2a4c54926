package catalog_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

func TestSnapshotCursor(t *testing.T) {
	s := arca.Snapshot{ID: "ab12", RepositoryID: "r1",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))}
	c, err := catalog.DecodeSnapshotCursor(catalog.EncodeSnapshotCursor(s))
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.SnapshotCursor{Time: time.Date(2026, 1, 2, 2, 4, 5, 123456000, time.UTC), ID: "ab12", RepositoryID: "r1"}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("cursor round trip (-want +got):\n%s", d)
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{"", "!!", enc("2026-01-02T03:04:05.000000Z\nab"), enc("yesterday\nab\nr1"),
		enc("2026-01-02T03:04:05.000000Z\n\nr1"), enc("2026-01-02T03:04:05.000000Z\na\x00b\nr1"),
		enc("2026-01-02T03:04:05.000000Z\nab\nr1\nextra")} {
		_, err := catalog.DecodeSnapshotCursor(bad)
		if !errors.Is(err, arca.ErrInvalidArgument) {
			t.Errorf("DecodeSnapshotCursor(%q) = %v, want INVALID_ARGUMENT", bad, err)
		}
	}
}

func TestPrepareSnapshot(t *testing.T) {
	in := arca.Snapshot{ID: "s", Tree: "t", Time: time.Date(2026, 1, 2, 3, 4, 5, 999, time.UTC),
		Paths: []string{}, Tags: []string{}, Labels: map[string]string{}, Stats: json.RawMessage{}}
	got, err := catalog.PrepareSnapshot(in, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := arca.Snapshot{ID: "s", Tree: "t", RepositoryID: "r1", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("PrepareSnapshot (-want +got):\n%s", d)
	}
	in.RepositoryID = "r2"
	if _, err := catalog.PrepareSnapshot(in, "r1"); !errors.Is(err, arca.ErrInvalidArgument) {
		t.Errorf("a snapshot of another repository: %v, want INVALID_ARGUMENT", err)
	}
	in.RepositoryID, in.Labels = "", map[string]string{"k": "\xff"}
	if _, err := catalog.PrepareSnapshot(in, "r1"); !errors.Is(err, arca.ErrInvalidArgument) {
		t.Errorf("a label that is not text: %v, want INVALID_ARGUMENT", err)
	}
}

func TestRepositoryInUse(t *testing.T) {
	for n, want := range map[int]string{
		1: "Repository r1 cannot be deleted: 1 source still targets it. Delete those sources or move them to another repository first.",
		3: "Repository r1 cannot be deleted: 3 sources still target it. Delete those sources or move them to another repository first.",
	} {
		if got := arca.ErrorMessage(catalog.RepositoryInUse("r1", n)); got != want {
			t.Errorf("RepositoryInUse(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOrderSources(t *testing.T) {
	a, b := arca.Source{ID: "a"}, arca.Source{ID: "b"}
	got, err := catalog.OrderSources([]string{"b", "a", "b"}, []arca.Source{a, b})
	if err != nil || cmp.Diff([]arca.Source{b, a, b}, got) != "" {
		t.Errorf("OrderSources = %v, %v", got, err)
	}
	_, err = catalog.OrderSources([]string{"a", "x", "y"}, []arca.Source{a})
	var ae *arca.Error
	if !errors.As(err, &ae) || ae.Code != arca.CodeNotFound || ae.Details["id"] != "x" {
		t.Errorf("OrderSources with missing ids = %v, want NOT_FOUND naming x", err)
	}
}

func TestSnapshotIDRange(t *testing.T) {
	for _, tc := range []struct{ in, lo, hi string }{{"ab", "ab", "ac"}, {"9", "9", ":"}, {"0f", "0f", "0g"}} {
		lo, hi, err := catalog.SnapshotIDRange(tc.in)
		if err != nil || lo != tc.lo || hi != tc.hi {
			t.Errorf("SnapshotIDRange(%q) = %q, %q, %v; want %q, %q", tc.in, lo, hi, err, tc.lo, tc.hi)
		}
	}
	for _, bad := range []string{"", "AB", "g", "a b", strings.Repeat("a", 65)} {
		if _, _, err := catalog.SnapshotIDRange(bad); !errors.Is(err, arca.ErrInvalidArgument) {
			t.Errorf("SnapshotIDRange(%q) = %v, want INVALID_ARGUMENT", bad, err)
		}
	}
}
