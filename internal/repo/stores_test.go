package repo_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/repo/blob/s3"
	"github.com/arcabackup/arca/internal/repo/repotest"
	"github.com/arcabackup/arca/internal/testenv"
)

// TestOnRealStores runs the repository's life cycle on a local directory
// and on the test S3 server: ranged reads at pack offsets, trailer reads,
// listing, deletion and Put-once semantics of the real backends.
func TestOnRealStores(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		s, err := local.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		lifeCycle(t, s)
	})
	t.Run("s3", func(t *testing.T) { lifeCycle(t, s3Store(t)) })
}

func s3Store(t *testing.T) blob.Store {
	env := testenv.S3(t)
	cfg := s3.Config{Endpoint: env.Endpoint, Bucket: "arca-repo-" + strings.ToLower(rand.Text()[:12]), Prefix: "repo",
		AccessKey: env.AccessKey, SecretKey: env.SecretKey, CreateBucket: true}
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
		if err != nil {
			t.Errorf("cleanup client: %v", err)
			return
		}
		objects := c.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true})
		for res := range c.RemoveObjects(ctx, cfg.Bucket, objects, minio.RemoveObjectsOptions{}) {
			t.Errorf("cleanup: remove %s: %v", res.ObjectName, res.Err)
		}
		if err := c.RemoveBucket(ctx, cfg.Bucket); err != nil {
			t.Errorf("cleanup: remove bucket: %v", err)
		}
	})
	s, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func lifeCycle(t *testing.T, store blob.Store) {
	ctx := context.Background()
	opts := repo.InitOptions{KDF: repotest.FastKDF, Chunker: repotest.SmallChunks, Open: repo.OpenOptions{PackSize: 256 << 10}}
	r, err := repo.Init(ctx, store, "pw", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	blobs := saveSome(t, r, 24, 42)
	tree, _, _ := r.SaveBlob(ctx, repo.TreeBlob, []byte(`{"root":true}`))
	snID, err := r.SaveSnapshot(ctx, &repo.Snapshot{Time: time.Unix(1.7e9, 0).UTC(), Tree: tree, Paths: []string{"/x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Init(ctx, store, "pw", opts); !errors.Is(err, repo.ErrRepositoryExists) {
		t.Errorf("second Init = %v, want ErrRepositoryExists", err)
	}
	if _, err := repo.Open(ctx, store, "nope", repo.OpenOptions{}); !errors.Is(err, repo.ErrWrongPassword) {
		t.Errorf("Open with a wrong password = %v", err)
	}
	r2, err := repo.Open(ctx, store, "pw", repo.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	checkLoad(t, r2, blobs)
	if got, err := r2.FindSnapshot(ctx, "latest"); err != nil || got != snID {
		t.Errorf("latest = %s, %v; want %s", got.Short(), err, snID.Short())
	}
	res, err := r2.RebuildIndex(ctx)
	if err != nil || res.Blobs != len(blobs)+1 || len(res.DamagedPacks) != 0 {
		t.Errorf("RebuildIndex = %+v, %v; want %d blobs", res, err, len(blobs)+1)
	}
	r3, err := repo.Open(ctx, store, "pw", repo.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Close()
	checkLoad(t, r3, blobs)
}
