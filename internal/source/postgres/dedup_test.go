package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/zeebo/blake3"

	"github.com/arcabackup/arca/internal/repo/chunker"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/postgres"
	"github.com/arcabackup/arca/internal/source/sourcetest"
)

// TestSecondDumpDeduplicates dumps an unchanged database twice and chunks
// both dumps as the repository does: every chunk of the second dump but
// the first (the header, which holds the time) is one the first dump
// already has, since the dump is uncompressed and its bytes stable.
func TestSecondDumpDeduplicates(t *testing.T) {
	t.Parallel() // after the conformance checks, which watch this process's children alone
	admin := adminURL(t)
	db := newDatabase(t, admin, "arca_dedup_")
	sqlExec(t, urlFor(t, admin, "", db),
		"CREATE TABLE a (id int PRIMARY KEY, v text)", "INSERT INTO a SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 150000) g",
		"CREATE TABLE b (id int PRIMARY KEY, w text)", "INSERT INTO b SELECT g, md5((g * 7)::text) FROM generate_series(1, 100000) g")
	c := config(t, postgres.Settings{URL: urlFor(t, admin, "", db)}, "")
	var dumps [2][]byte
	for i := range dumps {
		sink := &sourcetest.Sink{}
		if _, err := postgres.New().Backup(context.Background(), c, source.BackupOptions{}, sink); err != nil {
			t.Fatal(err)
		}
		dumps[i] = sink.Data(db + ".pgdump")
	}
	seen := map[[32]byte]bool{}
	for _, ch := range chunks(t, dumps[0]) {
		seen[blake3.Sum256(ch)] = true
	}
	var fresh, total int
	var freshAt []int
	for i, ch := range chunks(t, dumps[1]) {
		total += len(ch)
		if !seen[blake3.Sum256(ch)] {
			fresh += len(ch)
			freshAt = append(freshAt, i)
		}
	}
	t.Logf("second dump: %d of %d bytes in new chunks (chunks %v)", fresh, total, freshAt)
	if total < 10<<20 {
		t.Fatalf("dump is only %d bytes: too small to tell", total)
	}
	// Only the header (which holds the dump's time) differs: the first
	// chunk at most is new, whatever the database's size.
	if len(freshAt) > 1 || (len(freshAt) == 1 && freshAt[0] != 0) {
		t.Errorf("second dump of an unchanged database: new chunks %v (%d of %d bytes), want the first at most", freshAt, fresh, total)
	}
}

func chunks(t *testing.T, data []byte) [][]byte {
	t.Helper()
	ch, err := chunker.New(bytes.NewReader(data), chunker.DefaultParams, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		c, err := ch.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), c...))
	}
}
