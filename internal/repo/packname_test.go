package repo_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/zeebo/blake3"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

func packObject(id repo.ID) string { return "data/" + id.String()[:2] + "/" + id.String() }

// TestPackNames covers both naming rules VerifyPack accepts (the hash of
// the sealed header and trailer, and, for packs written before it, the
// hash of the whole file) and the damage each must reveal.
func TestPackNames(t *testing.T) {
	ctx := context.Background()
	r, store := repotest.New(t)
	saved := saveSome(t, r, 6, 3)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var blobs []repo.PackedBlob
	for _, s := range saved {
		if pb, _ := r.LookupBlob(s.t, s.id); len(blobs) == 0 || pb.Pack == blobs[0].Pack {
			blobs = append(blobs, pb)
		}
	}
	packID := blobs[0].Pack
	data, err := blob.ReadAll(ctx, store, packObject(packID))
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint32(data[len(data)-4:]))
	if got := repo.ID(blake3.Sum256(data[len(data)-4-hlen:])); got != packID {
		t.Fatalf("pack named %s, want the hash of its header and trailer %s", packID.Short(), got.Short())
	}
	// An older pack: the same bytes under the hash of all of them.
	oldID := repo.ID(blake3.Sum256(data))
	if err := store.Put(ctx, packObject(oldID), data); err != nil {
		t.Fatal(err)
	}
	verify := func(id repo.ID) (bad int, err error) {
		in := make([]repo.PackedBlob, len(blobs))
		for i, b := range blobs {
			b.Pack = id
			in[i] = b
		}
		_, err = r.VerifyPack(ctx, id, in, func(_ repo.PackedBlob, err error) {
			if err != nil {
				bad++
			}
		})
		return bad, err
	}
	for _, id := range []repo.ID{packID, oldID} {
		if bad, err := verify(id); bad != 0 || err != nil {
			t.Errorf("intact pack %s: %d bad blobs, %v", id.Short(), bad, err)
		}
	}
	cases := []struct {
		name     string
		offset   int // from the end of the pack when negative
		wantBad  int
		mismatch bool
	}{
		{"a blob byte", int(blobs[0].Offset) + 5, 1, false},
		{"a header byte", -10, 0, true},
		{"the trailer", -1, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			off := c.offset
			if off < 0 {
				off += len(data)
			}
			rewrite(t, store, packObject(packID), func(d []byte) []byte { d[off] ^= 0x40; return d })
			defer rewrite(t, store, packObject(packID), func([]byte) []byte { return data })
			bad, err := verify(packID)
			if bad != c.wantBad || errors.Is(err, repo.ErrPackMismatch) != c.mismatch {
				t.Errorf("%d bad blobs and %v; want %d bad blobs, name mismatch %v", bad, err, c.wantBad, c.mismatch)
			}
		})
	}
}
