package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/limit"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/repo/blob/retry"
	"github.com/arcabackup/arca/internal/repo/blob/s3"
	"github.com/arcabackup/arca/internal/repo/location"
)

// newLocationRegistry lists the storage backends of `arca repo`: the local
// file system and S3, each store bounded in concurrency (limit) and retried
// on transient failures (retry, outermost, so that a back-off does not hold
// a connection slot).
func newLocationRegistry() *location.Registry {
	return location.NewRegistry().
		Register(location.SchemeLocal, openLocal).
		Register(location.SchemeS3, openS3).
		Wrap(func(s blob.Store) blob.Store { return limit.New(s, limit.Options{}) }).
		Wrap(func(s blob.Store) blob.Store { return retry.New(s, retry.Policy{}) })
}

func openLocal(_ context.Context, loc location.Location, create bool) (blob.Store, error) {
	if !create {
		if _, err := os.Stat(loc.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", loc.Path, location.ErrNoRepository)
		}
	}
	return local.New(loc.Path)
}

func openS3(ctx context.Context, loc location.Location, create bool) (blob.Store, error) {
	s, err := s3.New(ctx, s3.Config{
		Endpoint:     loc.S3.Endpoint,
		Bucket:       loc.S3.Bucket,
		Prefix:       loc.S3.Prefix,
		Region:       loc.S3.Region,
		AccessKey:    loc.S3.AccessKey,
		SecretKey:    loc.S3.SecretKey,
		UseTLS:       loc.S3.UseTLS,
		CreateBucket: create,
	})
	if errors.Is(err, s3.ErrNoBucket) {
		return nil, fmt.Errorf("%w: %w", err, location.ErrNoRepository)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}
