package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/minio/minio-go/v7"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// ErrNoConditionalPut is returned (wrapped) by ProbeConditionalPut when the
// server stores a PUT despite "If-None-Match: *" on an existing key.
var ErrNoConditionalPut = errors.New("server ignores If-None-Match on PUT; set NoConditionalPut and write from one process at a time")

// ProbeConditionalPut checks that the server refuses to overwrite an
// object written with "If-None-Match: *", by writing a probe object twice
// under the reserved key "<prefix>.probe/<random>" (no object name can
// begin with a dot, so List never reports it) and deleting it. Run it when
// a repository is created on a new server.
func (s *Store) ProbeConditionalPut(ctx context.Context) error {
	key := s.prefix + ".probe/" + rand.Text()
	put := func(data []byte) error {
		opts := minio.PutObjectOptions{SendContentMd5: true, DisableContentSha256: true, DisableMultipart: true}
		opts.SetMatchETagExcept("*")
		_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), opts)
		return err
	}
	if err := put([]byte("first")); err != nil {
		return s.mapErr(ctx, "probe conditional put", key, err)
	}
	defer s.client.RemoveObject(context.WithoutCancel(ctx), s.bucket, key, minio.RemoveObjectOptions{})
	err := put([]byte("second"))
	switch mapped := s.mapErr(ctx, "probe conditional put", key, err); {
	case err == nil:
		return fmt.Errorf("s3 %s: %w", s.location, ErrNoConditionalPut)
	case errors.Is(mapped, blob.ErrExists):
		return nil
	default:
		return mapped
	}
}
