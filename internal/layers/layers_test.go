package layers

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/arcabackup/arca/"

// rings maps package path prefixes (relative to the module) to their ring.
// The longest matching prefix wins. A package that matches none fails the
// test: every new package must be placed in a ring.
var rings = map[string]int{
	"internal/arca": 0,

	"internal/repo/blob":    1,
	"internal/repo/chunker": 1,
	"internal/repo/pack":    1,
	"internal/repo/index":   1,
	"internal/repo/crypto":  1,
	"internal/repo/tree":    1,
	"internal/catalog":      1,
	"internal/source":       1,
	"internal/source/child": 1,
	"internal/serverapi":    1,
	"internal/seal":         1,
	"internal/testenv":      1,
	"internal/layers":       1,

	"internal/repo/policy":   2,
	"internal/repo/location": 1,

	"internal/repo":     2,
	"internal/checker":  2,
	"internal/pruner":   2,
	"internal/archiver": 2,
	"internal/restorer": 2,
	"internal/fsmeta":   2,
	"internal/task":     2,
	"internal/ops":      2,
	"internal/schedule": 2,
	"internal/auth":     2,

	"internal/repo/blob/local":  3,
	"internal/repo/blob/s3":     3,
	"internal/repo/blob/mem":    3,
	"internal/repo/blob/retry":  3,
	"internal/repo/blob/limit":  3,
	"internal/catalog/sqlite":   3,
	"internal/catalog/postgres": 3,
	"internal/source/":          3,
	"internal/server":           3,
	"internal/dialect":          3,
	"internal/apiclient":        3,
	"internal/console":          3,

	// Test support: imported by tests only, so free to import adapters.
	"internal/repo/blob/blobtest":    4,
	"internal/catalog/catalogtest":   4,
	"internal/repo/repotest":         4,
	"internal/archiver/archivertest": 4,
	"internal/source/sourcetest":     4,

	"cmd/":   4,
	"bench/": 4,
}

func ringOf(pkg string) (int, bool) {
	rel := strings.TrimPrefix(pkg, module)
	best, ring := "", -1
	for prefix, r := range rings {
		// "x/" places x's children only; "x" places x and its children.
		match := strings.HasPrefix(rel, prefix)
		if !strings.HasSuffix(prefix, "/") {
			match = rel == prefix || strings.HasPrefix(rel, prefix+"/")
		}
		if match && len(prefix) > len(best) {
			best, ring = prefix, r
		}
	}
	return ring, ring >= 0
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		r, ok := ringOf(pkg)
		if !ok {
			problems = append(problems, pkg+": not placed in any ring (add it to rings in internal/layers)")
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				if r == 0 && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
					problems = append(problems, pkg+" imports "+imp+": the domain uses the standard library only")
				}
				continue
			}
			ir, ok := ringOf(imp)
			switch {
			case !ok:
				continue // reported on its own line
			case ir > r:
				problems = append(problems, pkg+" imports "+imp+": an inner ring must not import an outer one")
			case ir == 3 && r == 3:
				problems = append(problems, pkg+" imports "+imp+": adapters do not import each other")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func TestRingOf(t *testing.T) {
	cases := map[string]int{
		module + "internal/arca":            0,
		module + "internal/repo":            2,
		module + "internal/repo/pack":       1,
		module + "internal/repo/blob":       1,
		module + "internal/repo/blob/s3":    3,
		module + "internal/catalog/sqlite":  3,
		module + "internal/source/postgres": 3,
		module + "cmd/arca":                 4,
	}
	for pkg, want := range cases {
		if got, _ := ringOf(pkg); got != want {
			t.Errorf("ringOf(%s) = %d, want %d", pkg, got, want)
		}
	}
}
