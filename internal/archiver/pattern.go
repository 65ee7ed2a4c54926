package archiver

import (
	"fmt"
	"path"
	"strings"
)

// Matcher decides which paths a backup excludes, with gitignore-like
// patterns matched against absolute, slash-separated paths:
//
//   - "*.tmp", "cache": a pattern without a slash matches the last
//     element of a path at any depth;
//   - "/home/*/.cache": a pattern that starts with "/" is anchored at the
//     root of the file system;
//   - "build/out": any other pattern with a slash matches at any depth
//     (as if written "**/build/out");
//   - "**" matches any number of elements, "*", "?" and "[...]" as in
//     path.Match, within one element;
//   - a trailing "/" matches directories only;
//   - a leading "!" re-includes what an earlier pattern excluded; the last
//     pattern that matches wins.
//
// An excluded directory is not descended into.
type Matcher struct {
	patterns []pattern
}

type pattern struct {
	text    string
	negate  bool
	dirOnly bool
	elems   []string
}

// NewMatcher compiles patterns. Empty lines and lines starting with "#"
// are ignored.
func NewMatcher(patterns []string) (*Matcher, error) {
	m := &Matcher{}
	for _, text := range patterns {
		p, ok, err := compile(text)
		if err != nil {
			return nil, err
		}
		if ok {
			m.patterns = append(m.patterns, p)
		}
	}
	return m, nil
}

func compile(text string) (pattern, bool, error) {
	s := strings.TrimSpace(text)
	if s == "" || strings.HasPrefix(s, "#") {
		return pattern{}, false, nil
	}
	p := pattern{text: text}
	if strings.HasPrefix(s, "!") {
		p.negate, s = true, s[1:]
	}
	if strings.HasSuffix(s, "/") && len(s) > 1 {
		p.dirOnly, s = true, strings.TrimRight(s, "/")
	}
	if !strings.HasPrefix(s, "/") {
		s = "**/" + s
	}
	stars := 0
	for _, e := range strings.Split(strings.TrimPrefix(s, "/"), "/") {
		if e == "" || (e == "**" && len(p.elems) > 0 && p.elems[len(p.elems)-1] == "**") {
			continue // "a//b" is "a/b", "**/**" is "**"
		}
		if e == "**" {
			if stars++; stars > maxStars {
				return pattern{}, false, fmt.Errorf("pattern %q: more than %d \"**\"", text, maxStars)
			}
		}
		if _, err := path.Match(e, ""); err != nil {
			return pattern{}, false, fmt.Errorf("pattern %q: %w", text, err)
		}
		p.elems = append(p.elems, e)
	}
	if len(p.elems) == 0 {
		return pattern{}, false, fmt.Errorf("pattern %q matches nothing", text)
	}
	return p, true, nil
}

// maxStars bounds the "**" of one pattern: matching backtracks, and its
// cost grows as the path depth to the power of their number.
const maxStars = 4

// Empty reports whether the matcher has no patterns.
func (m *Matcher) Empty() bool { return m == nil || len(m.patterns) == 0 }

// Match reports whether the absolute path p (of a directory if isDir) is
// matched: excluded for an exclude list, selected for an include list.
func (m *Matcher) Match(p string, isDir bool) bool {
	if m.Empty() {
		return false
	}
	elems := strings.Split(strings.Trim(p, "/"), "/")
	matched := false
	for i := range m.patterns {
		pt := &m.patterns[i]
		if pt.dirOnly && !isDir {
			continue
		}
		if matchElems(pt.elems, elems) {
			matched = !pt.negate
		}
	}
	return matched
}

func matchElems(pat, elems []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(elems); i++ {
				if matchElems(rest, elems[i:]) {
					return true
				}
			}
			return false
		}
		if len(elems) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], elems[0]); !ok {
			return false
		}
		pat, elems = pat[1:], elems[1:]
	}
	return len(elems) == 0
}
