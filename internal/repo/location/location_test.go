package location_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/location"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var creds = map[string]string{"ARCA_S3_ACCESS_KEY": "ak", "ARCA_S3_SECRET_KEY": "sk"}

func TestParse(t *testing.T) {
	abs, err := filepath.Abs("rel/repo")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		in   string
		env  map[string]string
		want location.Location
	}{
		{"absolute path", "/srv/repo", nil, location.Location{Scheme: "local", Path: "/srv/repo"}},
		{"relative path", "rel/repo", nil, location.Location{Scheme: "local", Path: abs}},
		{"local scheme", "local:/srv/repo/", nil, location.Location{Scheme: "local", Path: "/srv/repo"}},
		{"s3 with prefix", "s3://127.0.0.1:7070/bkt/a/b/", creds, location.Location{Scheme: "s3", S3: location.S3{
			Endpoint: "127.0.0.1:7070", Bucket: "bkt", Prefix: "a/b", AccessKey: "ak", SecretKey: "sk", UseTLS: true}}},
		{"s3 tls off and region", "s3://h/bkt?tls=false&region=eu-1", creds, location.Location{Scheme: "s3", S3: location.S3{
			Endpoint: "h", Bucket: "bkt", Region: "eu-1", AccessKey: "ak", SecretKey: "sk"}}},
		{"s3 aws env and insecure", "s3://h/bkt", map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s",
			"ARCA_S3_INSECURE": "1", "AWS_REGION": "r"}, location.Location{Scheme: "s3", S3: location.S3{
			Endpoint: "h", Bucket: "bkt", Region: "r", AccessKey: "a", SecretKey: "s"}}},
		{"arca keys win over aws", "s3://h/bkt", map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s",
			"ARCA_S3_ACCESS_KEY": "ak", "ARCA_S3_SECRET_KEY": "sk"}, location.Location{Scheme: "s3", S3: location.S3{
			Endpoint: "h", Bucket: "bkt", AccessKey: "ak", SecretKey: "sk", UseTLS: true}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := location.Parse(c.in, env(c.env))
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", c.in, diff)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"":                            "empty",
		"ftp://h/x":                   "unknown scheme",
		"s3://":                       "no host",
		"s3://h":                      "no bucket",
		"s3://h/bkt?tls=maybe":        "not a boolean",
		"s3://h/bkt?acl=public":       "unknown option",
		"s3://user:secret@h/bkt":      "credentials do not belong",
		"s3://h/bkt?tls=false&x=1&y=": "unknown option",
	}
	for in, want := range cases {
		_, err := location.Parse(in, env(creds))
		if !errors.Is(err, location.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid saying %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret@") {
			t.Errorf("Parse(%q) error shows a secret: %v", in, err)
		}
	}
	_, err := location.Parse("s3://h/bkt", env(nil))
	if !errors.Is(err, location.ErrInvalid) || !strings.Contains(err.Error(), "ARCA_S3_ACCESS_KEY") {
		t.Errorf("Parse without credentials = %v, want an error naming ARCA_S3_ACCESS_KEY", err)
	}
}

func TestStringHidesSecret(t *testing.T) {
	loc, err := location.Parse("s3://h:9/bkt/p?tls=false", env(map[string]string{
		"ARCA_S3_ACCESS_KEY": "ak", "ARCA_S3_SECRET_KEY": "TOPSECRET"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{loc.String(), fmt.Sprintf("%v %+v %#v", loc, loc, loc)} {
		if strings.Contains(s, "TOPSECRET") {
			t.Errorf("formatted location shows the secret key: %s", s)
		}
	}
	if diff := cmp.Diff("s3://h:9/bkt/p?tls=false", loc.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
}

// named is a decorator that records its position in the chain.
type named struct {
	blob.Store
	name string
}

func (n named) Location() string { return n.name + "(" + n.Store.Location() + ")" }

func TestRegistryOpen(t *testing.T) {
	var gotCreate bool
	reg := location.NewRegistry().
		Register(location.SchemeLocal, func(_ context.Context, loc location.Location, create bool) (blob.Store, error) {
			gotCreate = create
			if loc.Path == "/missing" {
				return nil, location.ErrNoRepository
			}
			return mem.New(), nil
		}).
		Wrap(func(s blob.Store) blob.Store { return named{s, "inner"} }).
		Wrap(func(s blob.Store) blob.Store { return named{s, "outer"} })

	s, err := reg.Open(context.Background(), location.Location{Scheme: "local", Path: "/x"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !gotCreate {
		t.Error("factory did not see create=true")
	}
	if got := s.Location(); !strings.HasPrefix(got, "outer(inner(") {
		t.Errorf("decorators applied as %q, want outer(inner(...))", got)
	}
	_, err = reg.Open(context.Background(), location.Location{Scheme: "local", Path: "/missing"}, false)
	if !errors.Is(err, location.ErrNoRepository) {
		t.Errorf("Open(missing) = %v, want ErrNoRepository", err)
	}
	_, err = reg.Open(context.Background(), location.Location{Scheme: "s3"}, false)
	if !errors.Is(err, location.ErrInvalid) {
		t.Errorf("Open(unregistered scheme) = %v, want ErrInvalid", err)
	}
}
