// Package repotest builds real repositories on an in-memory store for tests
// of the repository engine and of the packages built on it.
package repotest

import (
	"context"
	"testing"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
)

// Password is the password of repositories made by New.
const Password = "correct horse battery staple"

// FastKDF is a deliberately cheap Argon2id setting for tests only.
var FastKDF = repo.KDFParams{Time: 1, Memory: 64, Threads: 1}

// SmallChunks are chunker sizes that give many chunks from little data.
var SmallChunks = repo.ChunkerParams{Min: 4 << 10, Avg: 16 << 10, Max: 64 << 10}

// New initialises a repository with small chunks and 1 MiB packs on a new
// in-memory store. It is closed when the test ends.
func New(t testing.TB) (*repo.Repository, *mem.Store) {
	t.Helper()
	return NewWith(t, repo.InitOptions{})
}

// NewWith is New with options; zero KDF, chunker and pack size fields get
// the test defaults above.
func NewWith(t testing.TB, opts repo.InitOptions) (*repo.Repository, *mem.Store) {
	t.Helper()
	if opts.KDF == (repo.KDFParams{}) {
		opts.KDF = FastKDF
	}
	if opts.Chunker == (repo.ChunkerParams{}) {
		opts.Chunker = SmallChunks
	}
	if opts.Open.PackSize == 0 {
		opts.Open.PackSize = 1 << 20
	}
	store := mem.New()
	r, err := repo.Init(context.Background(), store, Password, opts)
	if err != nil {
		t.Fatalf("init repository: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r, store
}

// Reopen opens the repository in store again with Password.
func Reopen(t testing.TB, store *mem.Store) *repo.Repository {
	t.Helper()
	r, err := repo.Open(context.Background(), store, Password, repo.OpenOptions{PackSize: 1 << 20})
	if err != nil {
		t.Fatalf("open repository: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
