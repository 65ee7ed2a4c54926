package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

func TestSinkAndReader(t *testing.T) {
	ctx := context.Background()
	big := bytes.Repeat([]byte("0123456789abcdef"), (blockSize/16)*2+1000) // spans three blocks
	var gated []string
	s := &Sink{Gate: func(ctx context.Context, name string) error { gated = append(gated, name); return nil }}
	for name, data := range map[string][]byte{"big.dump": big, "small.sql": []byte("select 1;")} {
		if err := s.Stream(ctx, name, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Stream(ctx, "small.sql", strings.NewReader("again")); err == nil {
		t.Error("a second stream of one name was accepted")
	}
	for _, bad := range []string{"", "a/b", ".."} {
		if err := s.Stream(ctx, bad, strings.NewReader("x")); err == nil {
			t.Errorf("stream name %q was accepted", bad)
		}
	}
	s.Expect(42)
	if s.Expected() != 42 || s.Bytes() != int64(len(big)+9) || len(gated) != 2 {
		t.Errorf("Expected %d, Bytes %d, gated %v", s.Expected(), s.Bytes(), gated)
	}
	r := s.Reader(source.Meta{"engine": "test"})
	es, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]source.Entry{{Name: "big.dump", Size: int64(len(big))}, {Name: "small.sql", Size: 9}}, es); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	rc, err := r.Open(ctx, "big.dump")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, big) {
		t.Errorf("Open(big.dump) returned %d bytes, not the %d streamed", len(got), len(big))
	}
	if _, err := r.Open(ctx, "nope"); !errors.Is(err, arca.ErrNotFound) {
		t.Errorf("Open(nope) = %v, want NOT_FOUND", err)
	}
	if diff := cmp.Diff(map[string]string{"engine": "test"}, r.Labels()); diff != "" {
		t.Errorf("Labels (-want +got):\n%s", diff)
	}
}

func TestSinkGateError(t *testing.T) {
	stop := errors.New("stop")
	s := &Sink{Gate: func(context.Context, string) error { return stop }}
	if err := s.Stream(context.Background(), "x", strings.NewReader("data")); !errors.Is(err, stop) {
		t.Errorf("Stream = %v, want the gate's error", err)
	}
	if len(s.Names()) != 0 {
		t.Errorf("a failed stream was kept: %v", s.Names())
	}
}
