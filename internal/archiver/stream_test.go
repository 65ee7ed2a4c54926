package archiver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestStreamsRoundTrip(t *testing.T) {
	r, _ := repotest.New(t)
	a := New(r, Options{MaxInFlight: 256 << 10})
	dump := randomBytes(1, 3<<20)
	globals := []byte("CREATE ROLE app;\n")
	s := a.Streams(repo.Snapshot{Source: "src-1", SourceKind: "postgres", Labels: map[string]string{"engine": "postgres"}})
	ctx := context.Background()
	if err := s.Add(ctx, "globals.sql", bytes.NewReader(globals)); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "shop.dump", bytes.NewReader(dump)); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "empty", bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	res, err := s.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := r.LoadSnapshot(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"empty", "globals.sql", "shop.dump"}, sn.Paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if sn.Stats.TotalBytes != uint64(len(dump)+len(globals)) || sn.Labels["engine"] != "postgres" {
		t.Errorf("snapshot = %+v", sn)
	}
	_, contents := readBack(t, r, sn.Tree)
	if !bytes.Equal(contents["shop.dump"], dump) || !bytes.Equal(contents["globals.sql"], globals) || len(contents["empty"]) != 0 {
		t.Errorf("content differs after the round trip")
	}

	// The same dump again stores (almost) nothing new.
	before := r.Stats()
	s2 := a.Streams(repo.Snapshot{})
	if err := s2.Add(ctx, "shop.dump", bytes.NewReader(dump)); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if added := r.Stats().BytesStored - before.BytesStored; added > uint64(len(dump))/20 {
		t.Errorf("second backup of the same stream stored %d bytes, want < 5%% of %d", added, len(dump))
	}
}

func TestStreamsRefuseBadNames(t *testing.T) {
	r, _ := repotest.New(t)
	s := New(r, Options{}).Streams(repo.Snapshot{})
	ctx := context.Background()
	for _, name := range []string{"", "a/b", ".."} {
		if err := s.Add(ctx, name, bytes.NewReader([]byte("x"))); err == nil {
			t.Errorf("Add(%q) succeeded", name)
		}
	}
	if err := s.Add(ctx, "a", bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "a", bytes.NewReader([]byte("y"))); err == nil {
		t.Error("a second stream with the same name was accepted")
	}
	if _, err := New(r, Options{}).Streams(repo.Snapshot{}).Commit(ctx); err == nil {
		t.Error("an empty stream snapshot was committed")
	}
}

// endless never ends, like a hung child process.
type endless struct{}

func (endless) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestStreamsCancel(t *testing.T) {
	r, _ := repotest.New(t)
	s := New(r, Options{}).Streams(repo.Snapshot{})
	ctx, cancel := context.WithCancel(context.Background())
	rd := io.MultiReader(bytes.NewReader(randomBytes(2, 1<<20)), &cancelAfter{cancel: cancel}, endless{})
	err := s.Add(ctx, "x", rd)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Add = %v, want context.Canceled", err)
	}
	snaps, err := r.ListSnapshotIDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 0 {
		t.Errorf("a canceled stream left %d snapshots", len(snaps))
	}
}

// cancelAfter cancels when first read and then reports EOF, so the
// MultiReader goes on to the next reader.
type cancelAfter struct{ cancel func() }

func (c *cancelAfter) Read([]byte) (int, error) { c.cancel(); return 0, io.EOF }
