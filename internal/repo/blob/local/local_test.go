package local_test

import (
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/blobtest"
	"github.com/arcabackup/arca/internal/repo/blob/local"
)

func newStore(tb testing.TB) *local.Store {
	tb.Helper()
	s, err := local.New(tb.TempDir())
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t) })
}

func BenchmarkStore(b *testing.B) {
	blobtest.Bench(b, func(b *testing.B) blob.Store { return newStore(b) })
}
