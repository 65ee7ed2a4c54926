// Package s3 is a blob.Store in a bucket of an S3-compatible object store
// (AWS S3, MinIO, versitygw, Ceph RGW, ...), through minio-go.
//
// An object "data/ab/abcd" is the key "<prefix>/data/ab/abcd" of the bucket.
//
// # Never overwriting
//
// Put sends a single PUT (no multipart upload, so objects are limited to
// 5 GiB) with "If-None-Match: *": the server stores the object only if the
// key does not exist, atomically with respect to concurrent writers, and
// otherwise answers 412 Precondition Failed, which Put reports as
// blob.ErrExists. AWS S3 (since 2024-08), MinIO, versitygw and recent Ceph
// honour it; the tests check it against versitygw, including racing
// writers of one name.
//
// For a server that ignores or rejects the condition (ProbeConditionalPut
// tells), Config.NoConditionalPut switches to Stat-then-Put: Put first asks
// whether the key exists (HEAD) and sends an unconditional PUT only if the
// answer is 404. The race window of a Put opens when the server answers its
// HEAD with 404 and closes when the server commits its PUT. If a second
// Put of the same name has its HEAD answered inside that window, both send
// PUTs, the later commit replaces the earlier object, and both report
// success: the first writer's data is silently lost unless both wrote the
// same bytes.
// Names in Arca's layout are content hashes (same name, same bytes) or
// random ids, except "config", which only repository initialisation writes;
// even so, use this mode only for a repository written by one process at a
// time.
//
// # Integrity and retries
//
// Every PUT carries a Content-MD5 header covered by the request signature,
// so the server refuses a body corrupted in transit (BadDigest, which is
// worth retrying) and nobody can swap the body unnoticed. minio-go's
// own retries are switched off (one attempt per call): wrap the store with
// the retry decorator, which can tell a retried PUT that found its own
// object from a real conflict.
//
// Credentials never appear in Location, in errors or in Config's String.
package s3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/arcabackup/arca/internal/repo/blob"
)

var _ blob.Store = (*Store)(nil)

// DefaultConnections is Connections() when Config.Connections is zero.
const DefaultConnections = 16

// ErrNoBucket is returned (wrapped) by New when the bucket does not exist
// and Config.CreateBucket is not set.
var ErrNoBucket = errors.New("bucket does not exist")

// Config says where the store is and how to reach it.
type Config struct {
	Endpoint  string // host or host:port, without scheme
	Bucket    string
	Prefix    string // optional key prefix, such as "arca/prod"; slashes around it are ignored
	Region    string // optional
	AccessKey string
	SecretKey string
	UseTLS    bool

	// CreateBucket makes New create the bucket when it does not exist;
	// otherwise a missing bucket is an error.
	CreateBucket bool
	// NoConditionalPut makes Put check then write instead of writing with
	// If-None-Match; see the package documentation for its race window.
	NoConditionalPut bool
	// Connections is how many operations to run in parallel (default
	// DefaultConnections).
	Connections int
	// Transport replaces the default HTTP transport (custom CAs, proxies,
	// tests).
	Transport http.RoundTripper
}

// String describes the configuration without the secret key.
func (c Config) String() string {
	return fmt.Sprintf("s3 endpoint=%s bucket=%s prefix=%s region=%s tls=%t access_key=%s secret_key=[redacted]",
		c.Endpoint, c.Bucket, c.Prefix, c.Region, c.UseTLS, c.AccessKey)
}

// GoString is String, so %#v does not print the secret either.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the secret out of slog records.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Store is a bucket (and key prefix) of an S3-compatible object store.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or ending in "/"
	location string
	conns    int
	noCond   bool
	secret   string // only to scrub it from errors
}

// New connects to the object store and checks the bucket, creating it if
// cfg.CreateBucket is set.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := validate(cfg); err != nil {
		return nil, fmt.Errorf("s3 config: %w: %w", err, blob.ErrPermanent)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.UseTLS,
		Region:     cfg.Region,
		Transport:  cfg.Transport,
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	s := &Store{
		client: client,
		bucket: cfg.Bucket,
		conns:  cfg.Connections,
		noCond: cfg.NoConditionalPut,
		secret: cfg.SecretKey,
	}
	if s.conns <= 0 {
		s.conns = DefaultConnections
	}
	if p := strings.Trim(cfg.Prefix, "/"); p != "" {
		s.prefix = p + "/"
	}
	s.location = "s3://" + cfg.Endpoint + "/" + cfg.Bucket + "/" + s.prefix
	s.location = strings.TrimSuffix(s.location, "/")
	if !cfg.UseTLS {
		s.location += "?tls=false"
	}
	if err := s.checkBucket(ctx, cfg); err != nil {
		return nil, err
	}
	return s, nil
}

func validate(cfg Config) error {
	switch {
	case cfg.Endpoint == "":
		return errors.New("endpoint is empty")
	case strings.ContainsAny(cfg.Endpoint, "/@"):
		return errors.New("endpoint must be host or host:port, without scheme, path or credentials")
	case cfg.Bucket == "":
		return errors.New("bucket is empty")
	}
	if p := strings.Trim(cfg.Prefix, "/"); p != "" {
		if err := blob.ValidName(p); err != nil {
			return fmt.Errorf("prefix: %w", err)
		}
	}
	return nil
}

func (s *Store) checkBucket(ctx context.Context, cfg Config) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.mapErr(ctx, "check bucket", s.bucket, err)
	}
	if ok {
		return nil
	}
	if !cfg.CreateBucket {
		return fmt.Errorf("s3 bucket %s: %w: %w", s.bucket, ErrNoBucket, blob.ErrPermanent)
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: cfg.Region})
	if err != nil && errorCode(err) != "BucketAlreadyOwnedByYou" {
		return s.mapErr(ctx, "create bucket", s.bucket, err)
	}
	return nil
}

// Connections implements blob.Store.
func (s *Store) Connections() int { return s.conns }

// Location implements blob.Store: "s3://endpoint/bucket[/prefix][?tls=false]",
// the form the location package parses.
func (s *Store) Location() string { return s.location }

func (s *Store) key(name string) string { return s.prefix + name }
