package archiver

import "testing"

func TestMatcher(t *testing.T) {
	cases := []struct {
		patterns []string
		path     string
		isDir    bool
		want     bool
	}{
		{[]string{"*.tmp"}, "/a/b/c.tmp", false, true},
		{[]string{"*.tmp"}, "/a/b/c.tmpx", false, false},
		{[]string{"cache"}, "/home/ann/cache", true, true},
		{[]string{"/home/*/.cache"}, "/home/ann/.cache", true, true},
		{[]string{"/home/*/.cache"}, "/srv/home/ann/.cache", true, false},
		{[]string{"build/out"}, "/src/p/build/out", true, true},
		{[]string{"build/out"}, "/src/p/build/outx", true, false},
		{[]string{"/src/**/node_modules"}, "/src/node_modules", true, true},
		{[]string{"/src/**/node_modules"}, "/src/a/b/c/node_modules", true, true},
		{[]string{"/src/**"}, "/src/a/b", false, true},
		{[]string{"logs/"}, "/var/logs", false, false},
		{[]string{"logs/"}, "/var/logs", true, true},
		{[]string{"*.log", "!keep.log"}, "/x/keep.log", false, false},
		{[]string{"*.log", "!keep.log"}, "/x/drop.log", false, true},
		{[]string{"# comment", ""}, "/x/# comment", false, false},
		{[]string{"a?c"}, "/abc", false, true},
		{[]string{"[ab]c"}, "/bc", false, true},
		{nil, "/anything", false, false},
	}
	for _, c := range cases {
		m, err := NewMatcher(c.patterns)
		if err != nil {
			t.Fatalf("NewMatcher(%q): %v", c.patterns, err)
		}
		if got := m.Match(c.path, c.isDir); got != c.want {
			t.Errorf("Match(%q, %q, dir=%v) = %v, want %v", c.patterns, c.path, c.isDir, got, c.want)
		}
	}
}

func TestMatcherBadPattern(t *testing.T) {
	for _, p := range []string{"[a", "/**/a/**/b/**/c/**/d/**/e"} {
		if _, err := NewMatcher([]string{p}); err == nil {
			t.Errorf("NewMatcher accepted %q", p)
		}
	}
	// consecutive "**" count once
	m, err := NewMatcher([]string{"/**/**/**/**/**/**/x"})
	if err != nil || !m.Match("/a/b/c/x", false) {
		t.Errorf("collapsed stars: %v", err)
	}
}

func FuzzMatcher(f *testing.F) {
	f.Add("/src/**/node_modules", "/src/a/b/node_modules")
	f.Add("*.tmp", "/x/y.tmp")
	f.Add("!a/", "/a")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		m, err := NewMatcher([]string{pattern})
		if err != nil {
			return
		}
		m.Match(path, false)
		m.Match(path, true)
	})
}
