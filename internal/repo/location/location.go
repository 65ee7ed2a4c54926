// Package location parses where a repository lives — a local directory or
// an S3 bucket and prefix — and opens the matching blob.Store through an
// explicit Registry of backends.
//
// The accepted forms are:
//
//	/srv/backup/repo               a local directory (also "local:/srv/...")
//	s3://host[:port]/bucket[/prefix][?tls=false&region=r]
//
// S3 credentials never appear in the location: they come from the
// environment (ARCA_S3_ACCESS_KEY/ARCA_S3_SECRET_KEY, or else
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). TLS is on unless the location
// says "?tls=false" or ARCA_S3_INSECURE is "1" or "true"; the region comes
// from "?region=", ARCA_S3_REGION or AWS_REGION.
//
// The package knows no concrete backend: the edge (cmd/arca) builds a
// Registry with one Factory per scheme and the decorators to wrap every
// store in, so which backends exist is visible in one place.
package location

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// The schemes a Location can have.
const (
	SchemeLocal = "local"
	SchemeS3    = "s3"
)

// ErrInvalid is returned (wrapped) for a location that cannot be parsed.
var ErrInvalid = errors.New("invalid repository location")

// ErrNoRepository is returned (wrapped) by a Factory asked to open, without
// creating, a location where nothing exists (no directory, no bucket).
var ErrNoRepository = errors.New("nothing exists at the repository location")

// S3 are the settings of an S3 location.
type S3 struct {
	Endpoint  string // host or host:port
	Bucket    string
	Prefix    string // key prefix without surrounding slashes, may be empty
	Region    string
	AccessKey string
	SecretKey string // never printed: see Location.String
	UseTLS    bool
}

// Location is a parsed repository location.
type Location struct {
	Scheme string
	Path   string // SchemeLocal: the absolute directory
	S3     S3     // SchemeS3
}

// String describes the location for humans, without credentials.
func (l Location) String() string {
	switch l.Scheme {
	case SchemeLocal:
		return l.Path
	case SchemeS3:
		s := "s3://" + l.S3.Endpoint + "/" + l.S3.Bucket
		if l.S3.Prefix != "" {
			s += "/" + l.S3.Prefix
		}
		if !l.S3.UseTLS {
			s += "?tls=false"
		}
		return s
	}
	return l.Scheme + ":?"
}

// GoString is String, so %#v does not print the secret key either.
func (l Location) GoString() string { return l.String() }

// Parse parses s, taking S3 credentials and defaults from getenv.
func Parse(s string, getenv func(string) string) (Location, error) {
	switch {
	case s == "":
		return Location{}, fmt.Errorf("%w: empty (give --repo or set ARCA_REPOSITORY)", ErrInvalid)
	case strings.HasPrefix(s, "s3://"):
		return parseS3(s, getenv)
	case strings.HasPrefix(s, "local:"):
		s = strings.TrimPrefix(s, "local:")
	case strings.Contains(s, "://"):
		scheme, _, _ := strings.Cut(s, "://")
		return Location{}, fmt.Errorf("%w %q: unknown scheme %q (want a path or s3://)", ErrInvalid, s, scheme)
	}
	if s == "" {
		return Location{}, fmt.Errorf("%w: empty local path", ErrInvalid)
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return Location{}, fmt.Errorf("%w %q: %w", ErrInvalid, s, err)
	}
	return Location{Scheme: SchemeLocal, Path: abs}, nil
}

func parseS3(s string, getenv func(string) string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	bad := func(why string) (Location, error) {
		return Location{}, fmt.Errorf("%w %q: %s", ErrInvalid, redact(u), why)
	}
	if u.User != nil {
		return bad("credentials do not belong in the location; set ARCA_S3_ACCESS_KEY and ARCA_S3_SECRET_KEY")
	}
	if u.Host == "" {
		return bad("no host (want s3://host[:port]/bucket[/prefix])")
	}
	bucket, prefix, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
	if bucket == "" {
		return bad("no bucket (want s3://host[:port]/bucket[/prefix])")
	}
	loc := Location{Scheme: SchemeS3, S3: S3{
		Endpoint:  u.Host,
		Bucket:    bucket,
		Prefix:    strings.Trim(prefix, "/"),
		Region:    firstOf(u.Query().Get("region"), getenv("ARCA_S3_REGION"), getenv("AWS_REGION")),
		AccessKey: firstOf(getenv("ARCA_S3_ACCESS_KEY"), getenv("AWS_ACCESS_KEY_ID")),
		SecretKey: firstOf(getenv("ARCA_S3_SECRET_KEY"), getenv("AWS_SECRET_ACCESS_KEY")),
		UseTLS:    true,
	}}
	if tls := u.Query().Get("tls"); tls != "" {
		on, err := parseBool(tls)
		if err != nil {
			return bad("tls: " + err.Error())
		}
		loc.S3.UseTLS = on
	}
	if v := getenv("ARCA_S3_INSECURE"); v != "" {
		insecure, err := parseBool(v)
		if err != nil {
			return bad("ARCA_S3_INSECURE: " + err.Error())
		}
		loc.S3.UseTLS = loc.S3.UseTLS && !insecure
	}
	for k := range u.Query() {
		if k != "tls" && k != "region" {
			return bad(fmt.Sprintf("unknown option %q (want tls or region)", k))
		}
	}
	if loc.S3.AccessKey == "" || loc.S3.SecretKey == "" {
		return bad("no credentials: set ARCA_S3_ACCESS_KEY and ARCA_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	}
	return loc, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// Factory opens the store of a location. With create it makes what is
// missing (a directory, a bucket); without, it fails with an error
// wrapping ErrNoRepository where nothing exists.
type Factory func(ctx context.Context, loc Location, create bool) (blob.Store, error)

// Registry maps schemes to factories and wraps every store it opens in
// its decorators.
type Registry struct {
	factories map[string]Factory
	wrap      []func(blob.Store) blob.Store
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{factories: map[string]Factory{}} }

// Register adds the factory of a scheme, replacing any earlier one.
func (r *Registry) Register(scheme string, f Factory) *Registry {
	r.factories[scheme] = f
	return r
}

// Wrap adds a decorator; decorators apply in the order added, so the last
// added is the outermost.
func (r *Registry) Wrap(w func(blob.Store) blob.Store) *Registry {
	r.wrap = append(r.wrap, w)
	return r
}

// Open opens the store of loc and wraps it in the registry's decorators.
func (r *Registry) Open(ctx context.Context, loc Location, create bool) (blob.Store, error) {
	f, ok := r.factories[loc.Scheme]
	if !ok {
		return nil, fmt.Errorf("%w: no backend for scheme %q", ErrInvalid, loc.Scheme)
	}
	s, err := f(ctx, loc, create)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", loc, err)
	}
	for _, w := range r.wrap {
		s = w(s)
	}
	return s, nil
}
