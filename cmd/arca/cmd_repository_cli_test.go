package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/testenv"
)

// TestCLIRepositoryAndSourceLifecycle: register, attach with a wrong
// password (the task fails: exit 3), rename, re-key, sources by name,
// remove registrations.
func TestCLIRepositoryAndSourceLifecycle(t *testing.T) {
	c := newServerCLI(t)
	repoDir := filepath.Join(t.TempDir(), "repo")
	c.ok("repository", "add", "main", repoDir, "--wait")

	wrong := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrong, []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := c.exit(ExitTaskFailed, "repository", "add", "again", repoDir, "--attach", "--password-file", wrong, "--wait")
	if !strings.Contains(out, "repository.init failed") {
		t.Errorf("attach with a wrong password printed:\n%s", out)
	}
	// Attaching with the right password works (from the environment).
	c.ok("repository", "add", "again", repoDir, "--attach", "--wait")
	c.exit(ExitError, "repository", "show", "no-such") // a name nothing has
	c.ok("repository", "edit", "again", "--name", "second")
	c.exit(ExitUsage, "repository", "edit", "second")  // nothing to change
	c.ok("repository", "edit", "second", "--password") // the same password again, from the environment
	// Checked before it is stored: a wrong password is refused as a wrong
	// credential (UNAUTHENTICATED, exit 6).
	_, stderr := c.exit(ExitAuth, "repository", "edit", "second", "--password-file", wrong)
	if !strings.Contains(stderr, "password") {
		t.Errorf("edit with a wrong password: %s", stderr)
	}

	var repos serverapi.RepositoryList
	c.okJSON(&repos, "repository", "ls", "--json")
	names := map[string]string{}
	for _, r := range repos.Items {
		names[r.Name] = r.ID
	}
	if len(repos.Items) != 2 || names["main"] == "" || names["second"] == "" {
		t.Fatalf("repositories: %+v", repos.Items)
	}

	dir := t.TempDir()
	c.ok("source", "add", "docs", "--repository", names["second"], "--path", dir, "--exclude", "*.tmp", "-x")
	var src serverapi.Source
	c.okJSON(&src, "source", "show", "docs", "--json")
	var settings fsSettings
	if err := json.Unmarshal(src.Settings, &settings); err != nil || src.RepositoryID != names["second"] ||
		!cmp.Equal(settings, fsSettings{Paths: []string{dir}, Excludes: []string{"*.tmp"}, OneFileSystem: true}) {
		t.Errorf("source show --json: %+v %s (%v)", src, src.Settings, err)
	}
	if out := c.ok("source", "ls", "--repository", "second"); !strings.Contains(out, "docs") || !strings.Contains(out, dir) {
		t.Errorf("source ls --repository second:\n%s", out)
	}
	var none serverapi.SourceList
	c.okJSON(&none, "source", "ls", "--repository", "main", "--json")
	if len(none.Items) != 0 {
		t.Errorf("sources of main: %+v", none.Items)
	}
	c.exit(ExitUsage, "source", "add", "docs2", "--repository", "second", "--path", dir, "--settings", "{}")
	c.ok("source", "rm", "docs")
	c.ok("repository", "rm", "second", "main")
	c.okJSON(&repos, "repository", "ls", "--json")
	if len(repos.Items) != 0 {
		t.Errorf("after rm: %+v", repos.Items)
	}
	if _, err := os.Stat(filepath.Join(repoDir, "config")); err != nil {
		t.Errorf("repository rm touched the data: %v", err)
	}
}

// TestCLIRepositoryS3: the CLI registers a repository on the test S3
// server from an s3:// location with credentials from the environment,
// backs up and restores through it.
func TestCLIRepositoryS3(t *testing.T) {
	cfg := testenv.S3(t)
	c := newServerCLI(t)
	c.env["ARCA_S3_ACCESS_KEY"], c.env["ARCA_S3_SECRET_KEY"] = cfg.AccessKey, cfg.SecretKey
	c.ok("repository", "add", "offsite", "s3://"+cfg.Endpoint+"/"+bucketName(t)+"/arca?tls=false", "--wait")
	var r serverapi.Repository
	c.okJSON(&r, "repository", "show", "offsite", "--json")
	if r.Kind != "s3" || r.Endpoint != cfg.Endpoint || r.Prefix != "arca" || !r.Insecure || r.RepoID == "" {
		t.Fatalf("repository show --json: %+v", r)
	}
	src := filepath.Join(t.TempDir(), "www")
	writeTree(t, src)
	c.ok("source", "add", "www", "--repository", "offsite", "--path", src)
	c.ok("backup", "www", "--wait")
	var snaps serverapi.SnapshotList
	c.okJSON(&snaps, "snapshot", "ls", "--repository", "offsite", "--json")
	if len(snaps.Items) != 1 {
		t.Fatalf("snapshots: %+v", snaps.Items)
	}
	target := filepath.Join(c.restores, "s3")
	c.ok("restore", snaps.Items[0].ID, "--target", target, "--wait")
	if a, b := describeTree(t, src), describeTree(t, filepath.Join(target, "www")); len(a) != len(b) || !equalMaps(a, b) {
		t.Errorf("restore from S3 differs:\n%v\n%v", a, b)
	}
}

func equalMaps(a, b map[string]string) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}
