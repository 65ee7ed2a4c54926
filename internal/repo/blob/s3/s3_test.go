package s3_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/blobtest"
	"github.com/arcabackup/arca/internal/repo/blob/s3"
	"github.com/arcabackup/arca/internal/testenv"
)

// testConfig returns the configuration of a new, uniquely named bucket on
// the test server, removed with its objects when the test ends.
func testConfig(tb testing.TB) s3.Config {
	tb.Helper()
	env := testenv.S3(tb)
	cfg := s3.Config{
		Endpoint:     env.Endpoint,
		Bucket:       "arca-test-" + strings.ToLower(rand.Text()[:12]),
		AccessKey:    env.AccessKey,
		SecretKey:    env.SecretKey,
		CreateBucket: true,
	}
	tb.Cleanup(func() { removeBucket(tb, cfg) })
	return cfg
}

func newStore(tb testing.TB, cfg s3.Config) *s3.Store {
	tb.Helper()
	s, err := s3.New(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s
}

// removeBucket empties and removes the test bucket, if it exists.
func removeBucket(tb testing.TB, cfg s3.Config) {
	ctx := context.Background()
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		tb.Errorf("cleanup client: %v", err)
		return
	}
	if ok, err := c.BucketExists(ctx, cfg.Bucket); err != nil || !ok {
		return
	}
	objects := c.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Recursive: true})
	for res := range c.RemoveObjects(ctx, cfg.Bucket, objects, minio.RemoveObjectsOptions{}) {
		tb.Errorf("cleanup: remove %s: %v", res.ObjectName, res.Err)
	}
	if err := c.RemoveBucket(ctx, cfg.Bucket); err != nil {
		tb.Errorf("cleanup: remove bucket %s: %v", cfg.Bucket, err)
	}
}

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t, testConfig(t)) })
}

func TestStoreWithPrefix(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		cfg := testConfig(t)
		cfg.Prefix = "/arca/repo1/"
		return newStore(t, cfg)
	})
}

func BenchmarkStore(b *testing.B) {
	blobtest.Bench(b, func(b *testing.B) blob.Store { return newStore(b, testConfig(b)) })
}
