package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/repo"
)

// TestRepoKeys adds, lists, removes and changes passwords, and checks that
// each password opens the repository exactly while its key exists.
func TestRepoKeys(t *testing.T) {
	c := newRepoCLI(t)
	c.ok("init")
	keys := listKeys(t, c)
	if len(keys) != 1 || !keys[0].Current {
		t.Fatalf("after init: keys %+v, want one current key", keys)
	}
	first := keys[0].ID

	c.env["ARCA_NEW_PASSWORD"] = "second password"
	c.ok("key", "add")
	if keys = listKeys(t, c); len(keys) != 2 {
		t.Fatalf("after key add: %d keys, want 2", len(keys))
	}

	// The new password opens the repository, and `key list` marks the key
	// it opened as current.
	c.env["ARCA_PASSWORD"] = "second password"
	var second string
	for _, k := range listKeys(t, c) {
		if k.Current {
			second = k.ID
		}
	}
	if second == "" || second == first {
		t.Fatalf("opened with the second password, current key = %q (first %q)", second, first)
	}
	c.ok("key", "remove", first)
	c.env["ARCA_PASSWORD"] = "correct horse"
	c.wantExit(ExitRepoWrongPassword, "Wrong password for the repository", "snapshots")

	// passwd replaces the key opened: the old password stops working.
	c.env["ARCA_PASSWORD"] = "second password"
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("third password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(c.env, "ARCA_NEW_PASSWORD")
	c.ok("key", "passwd", "--new-password-file", pwFile)
	c.wantExit(ExitRepoWrongPassword, "no key of the repository opens with it", "snapshots")
	delete(c.env, "ARCA_PASSWORD")
	c.ok("snapshots", "--password-file", pwFile)
	c.wantExit(ExitError, "only key", "key", "remove", listKeys(t, c, "--password-file", pwFile)[0].ID, "--password-file", pwFile)
}

func listKeys(t *testing.T, c *repoCLI, args ...string) []repo.KeyInfo {
	t.Helper()
	var keys []repo.KeyInfo
	c.okJSON(&keys, append([]string{"key", "list", "--json"}, args...)...)
	return keys
}

// TestRepoErrors checks the exit codes and sentences scripts rely on.
func TestRepoErrors(t *testing.T) {
	c := newRepoCLI(t)
	c.wantExit(ExitRepoNotFound, "There is no repository at "+c.env["ARCA_REPOSITORY"], "snapshots")
	if _, err := os.Stat(c.env["ARCA_REPOSITORY"]); err == nil {
		t.Errorf("opening a missing repository created its directory")
	}
	c.ok("init")
	c.wantExit(ExitError, "not empty", "init")

	c.env["ARCA_PASSWORD"] = "wrong"
	r := c.wantExit(ExitRepoWrongPassword, "Wrong password for the repository at "+c.env["ARCA_REPOSITORY"], "snapshots")
	if strings.Contains(r.stderr+r.stdout, "correct horse") {
		t.Errorf("output shows the password: %s", r.stderr)
	}

	delete(c.env, "ARCA_PASSWORD")
	c.wantExit(ExitUsage, "no password: set ARCA_PASSWORD", "snapshots")
	c.env["ARCA_PASSWORD"] = "correct horse"

	c.wantExit(ExitError, `No snapshot matches "0123abcd"`, "ls", "0123abcd")
	c.wantExit(ExitUsage, "unknown scheme", "snapshots", "--repo", "ftp://host/x")
	c.wantExit(ExitUsage, "--target", "restore", "latest")
	c.wantExit(ExitUsage, "unknown compression", "init", "--compression", "huge")
}
