package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/serverapi"
)

// serverCLI is the arca CLI logged in (by environment) to a real server
// run in-process, with a directory the server restores into.
type serverCLI struct {
	*cli
	ts       *testServer
	restores string
}

func newServerCLI(t *testing.T) *serverCLI {
	t.Helper()
	restores := t.TempDir()
	ts := startServer(t, serverSetup{args: []string{"--restore-root", restores, "--prune-delay", "1ms", "--allow-command-sources"}})
	c := newCLI(t)
	c.env["ARCA_URL"], c.env["ARCA_TOKEN"] = ts.URL, ts.Token
	c.env["ARCA_REPOSITORY_PASSWORD"] = "cli-repo-pass"
	return &serverCLI{cli: c, ts: ts, restores: restores}
}

// ok runs a command that must succeed and returns its standard output.
func (c *serverCLI) ok(args ...string) string {
	c.t.Helper()
	out, stderr, code := c.run("", args...)
	if code != 0 {
		c.t.Fatalf("arca %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	return out
}

// okJSON runs a command that must succeed and decodes its JSON output.
func (c *serverCLI) okJSON(v any, args ...string) {
	c.t.Helper()
	out := c.ok(args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("arca %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// exit runs a command that must end with code and returns its output.
func (c *serverCLI) exit(code int, args ...string) (string, string) {
	c.t.Helper()
	out, stderr, got := c.run("", args...)
	if got != code {
		c.t.Fatalf("arca %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, out, stderr)
	}
	return out, stderr
}

// TestCLIBackupBrowseDownloadRestore drives the server CLI end to end: a
// local repository, an fs source, backup --wait, snapshot ls/browse/
// download, restore --wait (byte-identical), verify, prune, forget.
func TestCLIBackupBrowseDownloadRestore(t *testing.T) {
	c := newServerCLI(t)
	repoDir := filepath.Join(t.TempDir(), "repo")
	if out := c.ok("repository", "add", "main", repoDir, "--wait"); !strings.Contains(out, "repository.init succeeded") {
		t.Errorf("repository add --wait printed:\n%s", out)
	}
	var repos serverapi.RepositoryList
	c.okJSON(&repos, "repository", "ls", "--json")
	if len(repos.Items) != 1 || repos.Items[0].Name != "main" || repos.Items[0].Path != repoDir || repos.Items[0].RepoID == "" {
		t.Fatalf("repository ls --json: %+v", repos.Items)
	}
	if out := c.ok("repository", "show", "main"); !strings.Contains(out, repos.Items[0].ID) || !strings.Contains(out, repoDir) {
		t.Errorf("repository show:\n%s", out)
	}

	src := filepath.Join(t.TempDir(), "www")
	writeTree(t, src)
	c.ok("source", "add", "www", "--repository", "main", "--path", src)
	var srcs serverapi.SourceList
	c.okJSON(&srcs, "source", "ls", "--json")
	if len(srcs.Items) != 1 || srcs.Items[0].RepositoryID != repos.Items[0].ID {
		t.Fatalf("source ls --json: %+v", srcs.Items)
	}

	out := c.ok("backup", "www", "--wait", "--tag", "first")
	if !strings.Contains(out, "www: backup succeeded, snapshot ") {
		t.Errorf("backup --wait printed:\n%s", out)
	}
	var snaps serverapi.SnapshotList
	c.okJSON(&snaps, "snapshot", "ls", "--json")
	if len(snaps.Items) != 1 || snaps.Items[0].SourceID != srcs.Items[0].ID || !cmp.Equal(snaps.Items[0].Tags, []string{"first"}) {
		t.Fatalf("snapshot ls --json: %+v", snaps.Items)
	}
	snap := snaps.Items[0].ID
	if out := c.ok("snapshot", "ls", "--source", "www"); !strings.Contains(out, snap[:8]) || !strings.Contains(out, "www") {
		t.Errorf("snapshot ls --source www:\n%s", out)
	}

	checkCLIBrowse(t, c, snap)
	checkCLIDownload(t, c, snap, src)

	target := filepath.Join(c.restores, "r1")
	if out := c.ok("restore", snap[:8], "--target", target, "--wait"); !strings.Contains(out, "restore succeeded") {
		t.Errorf("restore --wait printed:\n%s", out)
	}
	if diff := cmp.Diff(describeTree(t, src), describeTree(t, filepath.Join(target, "www"))); diff != "" {
		t.Errorf("restored tree differs (-source +restored):\n%s", diff)
	}

	if out := c.ok("verify", "main", "--read-data-percent", "100", "--wait"); !strings.Contains(out, "no damage found") {
		t.Errorf("verify --wait printed:\n%s", out)
	}
	c.ok("backup", "www", "--wait")
	if out := c.ok("prune", "main", "--keep-last", "1", "--wait"); !strings.Contains(out, "forgot 1 snapshots") {
		t.Errorf("prune --keep-last 1 --wait printed:\n%s", out)
	}
	c.okJSON(&snaps, "snapshot", "ls", "--json")
	if len(snaps.Items) != 1 || snaps.Items[0].ID == snap {
		t.Fatalf("after prune --keep-last 1: %+v (the first snapshot %s must be gone)", snaps.Items, snap)
	}
	c.ok("snapshot", "rm", snaps.Items[0].ID, "--wait")
	c.okJSON(&snaps, "snapshot", "ls", "--json")
	if len(snaps.Items) != 0 {
		t.Errorf("after snapshot rm: %+v", snaps.Items)
	}
}

func checkCLIBrowse(t *testing.T, c *serverCLI, snap string) {
	t.Helper()
	var root serverapi.TreeListing
	c.okJSON(&root, "snapshot", "browse", snap, "--json")
	if len(root.Entries) != 1 || root.Entries[0].Name != "www" || root.Entries[0].Type != "dir" {
		t.Fatalf("browse of the root: %+v", root.Entries)
	}
	out := c.ok("snapshot", "browse", snap[:8], "www")
	for _, want := range []string{"big.bin", "a/", "link -> small.txt", "emptydir/", "3145728"} {
		if !strings.Contains(out, want) {
			t.Errorf("browse www lacks %q:\n%s", want, out)
		}
	}
}

func checkCLIDownload(t *testing.T, c *serverCLI, snap, src string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(src, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "big.bin")
	c.ok("snapshot", "download", snap, "www/big.bin", "-o", out)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("downloaded big.bin differs (%v)", err)
	}
	// A second download refuses to overwrite; --resume continues a partial copy.
	c.exit(ExitUsage, "snapshot", "download", snap, "www/big.bin", "-o", out)
	if err := os.Truncate(out, 1<<20+17); err != nil {
		t.Fatal(err)
	}
	c.ok("snapshot", "download", snap, "www/big.bin", "-o", out, "--resume")
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("resumed big.bin differs (%v)", err)
	}
	// A directory as a tar on standard output.
	stdout, stderr, code := c.run("", "snapshot", "download", snap, "www/a", "--archive", "tar", "-o", "-")
	if code != 0 {
		t.Fatalf("download --archive tar: exit %d: %s", code, stderr)
	}
	files := map[string]string{}
	tr := tar.NewReader(strings.NewReader(stdout))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("tar: %v", err)
		}
		b, _ := io.ReadAll(tr)
		if h.Typeflag == tar.TypeReg {
			files[filepath.Base(h.Name)] = string(b)
		}
	}
	if diff := cmp.Diff(map[string]string{"deep.txt": strings.Repeat("deep ", 1000)}, files); diff != "" {
		t.Errorf("tar of www/a (-want +got):\n%s", diff)
	}
}
