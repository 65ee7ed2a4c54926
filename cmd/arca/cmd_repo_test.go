package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repoCLI runs `arca repo …` in-process against one repository.
type repoCLI struct {
	t   *testing.T
	env map[string]string
}

// result is one run's outcome.
type result struct {
	stdout, stderr string
	code           int
}

// newRepoCLI returns a CLI on a new local repository location (not yet
// initialised) with a cheap key derivation so that tests stay fast.
func newRepoCLI(t *testing.T) *repoCLI {
	return &repoCLI{t: t, env: map[string]string{
		"ARCA_REPOSITORY": filepath.Join(t.TempDir(), "repo"),
		"ARCA_PASSWORD":   "correct horse",
	}}
}

func (c *repoCLI) runCtx(ctx context.Context, args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: envFunc(c.env), Now: time.Now, Version: "test"}
	full := append([]string{"repo", "--kdf-time", "1", "--kdf-memory", "1024"}, args...)
	err := m.Run(ctx, full)
	if err != nil {
		m.printError(err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: ExitCode(err)}
}

func (c *repoCLI) run(args ...string) result {
	c.t.Helper()
	return c.runCtx(c.t.Context(), args...)
}

// ok runs args and fails the test unless they exit 0.
func (c *repoCLI) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("arca repo %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// okJSON runs args and decodes their stdout into v.
func (c *repoCLI) okJSON(v any, args ...string) {
	c.t.Helper()
	out := c.ok(args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("arca repo %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// wantExit runs args and checks the exit code and that stderr says want.
func (c *repoCLI) wantExit(code int, want string, args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code || !strings.Contains(r.stderr, want) {
		c.t.Errorf("arca repo %s: exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), r.code, r.stderr, code, want)
	}
	return r
}

// writeTree generates a small tree with every common kind of entry: empty
// and multi-chunk files, odd names, a symlink, nested directories.
func writeTree(t *testing.T, dir string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	files := map[string][]byte{
		"empty":                                 nil,
		"small.txt":                             []byte("hello, arca\n"),
		"big.bin":                               big,
		"a/b/c/deep.txt":                        bytes.Repeat([]byte("deep "), 1000),
		"odd names/sp ace & ümlaut":             []byte("odd"),
		"odd names/" + strings.Repeat("n", 200): []byte("long name"),
		"logs/app.log":                          bytes.Repeat([]byte("2026-01-01 INFO request served in 3ms\n"), 5000),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("small.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "emptydir"), 0o700); err != nil {
		t.Fatal(err)
	}
}

// describeTree maps every path under dir to its type, mode and content
// (or link target), for comparing a restore with its source.
func describeTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fi.Mode().String()
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %d bytes %x", len(data), sha256.Sum256(data))
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
