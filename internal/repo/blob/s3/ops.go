package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// Put implements blob.Store; see the package documentation.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	if err := check(ctx, "put", name); err != nil {
		return err
	}
	opts := minio.PutObjectOptions{
		ContentType:    "application/octet-stream",
		SendContentMd5: true, // signed, so the body cannot change unnoticed
		// With the MD5, a signed SHA-256 of the payload adds nothing but
		// cost, and a corrupted body would then fail as a signature
		// mismatch, indistinguishable from bad credentials.
		DisableContentSha256: true,
		DisableMultipart:     true,
	}
	if s.noCond {
		switch _, err := s.Stat(ctx, name); {
		case err == nil:
			return fmt.Errorf("s3 put %s: %w", name, blob.ErrExists)
		case !errors.Is(err, blob.ErrNotExist):
			return err
		}
	} else {
		opts.SetMatchETagExcept("*")
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.key(name), bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return s.mapErr(ctx, "put", name, err)
	}
	return nil
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := check(ctx, "get", name); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("s3 get %s: negative offset %d", name, offset)
	}
	if length == 0 {
		if _, err := s.Stat(ctx, name); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	var opts minio.GetObjectOptions
	switch {
	case length > 0:
		err := opts.SetRange(offset, offset+length-1)
		if err != nil {
			return nil, fmt.Errorf("s3 get %s: %w", name, err)
		}
	case offset > 0:
		err := opts.SetRange(offset, 0)
		if err != nil {
			return nil, fmt.Errorf("s3 get %s: %w", name, err)
		}
	}
	rc, _, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, s.key(name), opts)
	if err == nil {
		return rc, nil
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) && (er.Code == "InvalidRange" || er.StatusCode == http.StatusRequestedRangeNotSatisfiable) {
		// offset is at or past the end: there is nothing to read, if the
		// object exists.
		if _, err := s.Stat(ctx, name); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	return nil, s.mapErr(ctx, "get", name, err)
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, name string) (blob.Info, error) {
	if err := check(ctx, "stat", name); err != nil {
		return blob.Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.key(name), minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, s.mapErr(ctx, "stat", name, err)
	}
	return blob.Info{Name: name, Size: oi.Size, ModTime: oi.LastModified}, nil
}

// List implements blob.Store. Keys under the prefix that are not valid
// object names (directory markers, foreign objects) are skipped. fn runs on
// the caller's goroutine; its error is returned as is.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 list %s: %w", prefix, err)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine if we return early
	objects := s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.key(prefix), Recursive: true})
	for oi := range objects {
		if oi.Err != nil {
			return s.mapErr(ctx, "list", prefix, oi.Err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("s3 list %s: %w", prefix, err)
		}
		name, ok := strings.CutPrefix(oi.Key, s.prefix)
		if !ok || blob.ValidName(name) != nil {
			continue
		}
		if err := fn(blob.Info{Name: name, Size: oi.Size, ModTime: oi.LastModified}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 list %s: %w", prefix, err)
	}
	return nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := check(ctx, "delete", name); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.key(name), minio.RemoveObjectOptions{})
	if err != nil {
		err = s.mapErr(ctx, "delete", name, err)
		if errors.Is(err, blob.ErrNotExist) {
			return nil
		}
		return err
	}
	return nil
}

func check(ctx context.Context, op, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 %s %s: %w", op, name, err)
	}
	if err := blob.ValidName(name); err != nil {
		return fmt.Errorf("s3 %s: %w", op, err)
	}
	return nil
}
