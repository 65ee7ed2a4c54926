package main

import (
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/testenv"
)

// TestRepoS3 runs the CLI against a real S3 server (versitygw) through an
// s3:// location with credentials from the environment.
func TestRepoS3(t *testing.T) {
	s3 := testenv.S3(t)
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	bucket := "arca-cli-" + hex.EncodeToString(suffix)
	c := newRepoCLI(t)
	c.env["ARCA_REPOSITORY"] = "s3://" + s3.Endpoint + "/" + bucket + "/team/repo?tls=false"
	c.env["ARCA_S3_ACCESS_KEY"] = s3.AccessKey
	c.env["ARCA_S3_SECRET_KEY"] = s3.SecretKey

	c.wantExit(ExitRepoNotFound, "There is no repository at s3://", "snapshots")
	c.ok("init")
	src := filepath.Join(t.TempDir(), "src")
	writeTree(t, src)
	c.ok("backup", src)
	target := filepath.Join(t.TempDir(), "restore")
	c.ok("restore", "latest", "--target", target)
	if diff := cmp.Diff(describeTree(t, src), describeTree(t, filepath.Join(target, "src"))); diff != "" {
		t.Errorf("tree restored from S3 differs from the source (-want +got):\n%s", diff)
	}
	c.ok("check", "--read-data")

	c.env["ARCA_PASSWORD"] = "wrong"
	r := c.wantExit(ExitRepoWrongPassword, "Wrong password", "snapshots")
	for _, secret := range []string{s3.SecretKey, "correct horse"} {
		if strings.Contains(r.stderr, secret) {
			t.Errorf("stderr shows a secret: %s", r.stderr)
		}
	}
}
