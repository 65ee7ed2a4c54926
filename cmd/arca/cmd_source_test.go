package main

import (
	"testing"

	"github.com/arcabackup/arca/internal/serverapi"
)

func TestSourceSettings(t *testing.T) {
	tests := []struct {
		name  string
		f     sourceAddFlags
		want  string
		usage bool
	}{
		{"fs paths", sourceAddFlags{kind: "fs", paths: []string{"/srv/www", "/etc"}}, `{"paths":["/srv/www","/etc"]}`, false},
		{"fs all flags", sourceAddFlags{kind: "fs", paths: []string{"/srv"}, excludes: []string{"*.tmp", "cache/"}, oneFileSystem: true},
			`{"paths":["/srv"],"excludes":["*.tmp","cache/"],"one_file_system":true}`, false},
		{"settings for another kind", sourceAddFlags{kind: "postgres", settings: `{"host": "db"}`}, `{"host": "db"}`, false},
		{"settings for fs", sourceAddFlags{kind: "fs", settings: `{"paths": ["/x"]}`}, `{"paths": ["/x"]}`, false},
		{"fs without a path", sourceAddFlags{kind: "fs"}, "", true},
		{"both settings and paths", sourceAddFlags{kind: "fs", paths: []string{"/x"}, settings: `{}`}, "", true},
		{"another kind without settings", sourceAddFlags{kind: "mysql"}, "", true},
		{"settings not an object", sourceAddFlags{kind: "command", settings: `["sh"]`}, "", true},
		{"settings not JSON", sourceAddFlags{kind: "command", settings: `{sh`}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sourceSettings(tt.f)
			if tt.usage {
				if ExitCode(err) != ExitUsage {
					t.Errorf("sourceSettings = %s, %v; want a usage error", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("sourceSettings = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestSourceWhat(t *testing.T) {
	tests := []struct {
		s    serverapi.Source
		want string
	}{
		{serverapi.Source{Kind: "fs", Settings: []byte(`{"paths":["/a","/b c"]}`)}, "/a /b c"},
		{serverapi.Source{Kind: "postgres", Settings: []byte(`{"host":"db"}`)}, `{"host":"db"}`},
		{serverapi.Source{Kind: "command", Settings: []byte(`{"command":["sh","-c","pg_dumpall --clean --if-exists | gzip -1"]}`)},
			`{"command":["sh","-c","pg_dumpall --clean --if-exists | g...`},
	}
	for _, tt := range tests {
		if got := sourceWhat(tt.s); got != tt.want {
			t.Errorf("sourceWhat(%s) = %q, want %q", tt.s.Settings, got, tt.want)
		}
	}
}
