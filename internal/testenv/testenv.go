// Package testenv finds the external services integration tests run against
// (PostgreSQL, MariaDB, an S3-compatible server) from ARCA_TEST_* variables.
//
// A test whose service is not configured skips loudly, unless the service is
// named in ARCA_TEST_REQUIRE (a comma-separated list such as "postgres,s3",
// set by `make test` and CI): then it fails, so nothing skips silently in CI.
package testenv

import (
	"os"
	"strings"
	"testing"
)

// Required reports whether service is named in ARCA_TEST_REQUIRE.
func Required(service string) bool {
	for _, s := range strings.Split(os.Getenv("ARCA_TEST_REQUIRE"), ",") {
		if strings.TrimSpace(s) == service {
			return true
		}
	}
	return false
}

// missing fails or skips t for a service that is not configured.
func missing(t testing.TB, service, vars string) {
	t.Helper()
	if Required(service) {
		t.Fatalf("%s is required (ARCA_TEST_REQUIRE) but %s is not set; run `make test`", service, vars)
	}
	t.Skipf("SKIPPING: %s not configured (%s unset); `make test` starts it", service, vars)
}

// PostgresURL returns the URL of a PostgreSQL database tests may use freely
// (ARCA_TEST_POSTGRES_URL).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("ARCA_TEST_POSTGRES_URL")
	if u == "" {
		missing(t, "postgres", "ARCA_TEST_POSTGRES_URL")
	}
	return u
}

// S3Config is how to reach the test S3 server.
type S3Config struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string
}

// S3 returns the test S3 server (ARCA_TEST_S3_ENDPOINT, _ACCESS_KEY,
// _SECRET_KEY). Tests create their own uniquely named buckets.
func S3(t testing.TB) S3Config {
	t.Helper()
	c := S3Config{
		Endpoint:  os.Getenv("ARCA_TEST_S3_ENDPOINT"),
		AccessKey: os.Getenv("ARCA_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("ARCA_TEST_S3_SECRET_KEY"),
	}
	if c.Endpoint == "" || c.AccessKey == "" || c.SecretKey == "" {
		missing(t, "s3", "ARCA_TEST_S3_ENDPOINT/ACCESS_KEY/SECRET_KEY")
	}
	return c
}
