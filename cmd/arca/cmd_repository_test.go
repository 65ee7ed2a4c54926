package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

func TestRepositoryCreateRequest(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ARCA_S3_ACCESS_KEY": "env-ak", "ARCA_S3_SECRET_KEY": "env-sk"}
	tests := []struct {
		name  string
		loc   string
		f     repositoryAddFlags
		env   map[string]string
		want  serverapi.RepositoryCreate
		usage bool
	}{
		{"local", "/srv/backup/main", repositoryAddFlags{}, nil,
			serverapi.RepositoryCreate{Name: "r", Kind: "local", Path: "/srv/backup/main"}, false},
		{"local: prefix, attach", "local:/srv/b/", repositoryAddFlags{attach: true}, nil,
			serverapi.RepositoryCreate{Name: "r", Kind: "local", Path: "/srv/b", Attach: true}, false},
		{"relative path", "backup/main", repositoryAddFlags{}, nil, serverapi.RepositoryCreate{}, true},
		{"s3 from the environment", "s3://127.0.0.1:7070/bucket/some/prefix?tls=false&region=eu", repositoryAddFlags{}, env,
			serverapi.RepositoryCreate{Name: "r", Kind: "s3", Endpoint: "127.0.0.1:7070", Bucket: "bucket", Prefix: "some/prefix",
				Region: "eu", Insecure: true, AccessKey: "env-ak", SecretKey: "env-sk"}, false},
		{"s3 from flags and a file", "s3://s3.example.com/b", repositoryAddFlags{accessKey: "flag-ak", secretFile: secretFile}, env,
			serverapi.RepositoryCreate{Name: "r", Kind: "s3", Endpoint: "s3.example.com", Bucket: "b",
				AccessKey: "flag-ak", SecretKey: "from-file"}, false},
		{"s3 without credentials", "s3://s3.example.com/b", repositoryAddFlags{}, nil, serverapi.RepositoryCreate{}, true},
		{"s3 credentials in the location", "s3://ak:sk@s3.example.com/b", repositoryAddFlags{}, env, serverapi.RepositoryCreate{}, true},
		{"unknown scheme", "ftp://x/y", repositoryAddFlags{}, nil, serverapi.RepositoryCreate{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Main{Getenv: envFunc(tt.env)}
			got, err := m.repositoryCreate("r", tt.loc, tt.f)
			if tt.usage {
				if ExitCode(err) != ExitUsage {
					t.Errorf("repositoryCreate = %+v, %v; want a usage error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRepositoryPasswordSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("file-pass\r\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &Main{Getenv: envFunc(map[string]string{"ARCA_REPOSITORY_PASSWORD": "env-pass"})}
	if pw, err := m.repositoryPassword(file, true); err != nil || pw != "file-pass" {
		t.Errorf("from a file: %q, %v", pw, err)
	}
	if pw, err := m.repositoryPassword("", true); err != nil || pw != "env-pass" {
		t.Errorf("from the environment: %q, %v", pw, err)
	}
	// No file, no variable, no terminal: a usage error, never a silent empty password.
	m = &Main{Getenv: envFunc(nil), Stdin: os.Stdin}
	if f, err := os.Open(os.DevNull); err == nil {
		defer f.Close()
		m.Stdin = f
	}
	if pw, err := m.repositoryPassword("", false); ExitCode(err) != ExitUsage || pw != "" {
		t.Errorf("from nowhere: %q, %v; want a usage error", pw, err)
	}
}

func TestResolve(t *testing.T) {
	id1, id2, id3 := arca.NewID(fixedNow), arca.NewID(fixedNow.Add(1)), arca.NewID(fixedNow.Add(2))
	items := []serverapi.Source{{ID: id1, Name: "www"}, {ID: id2, Name: "db"}, {ID: id3, Name: "db"}}
	tests := []struct {
		ref       string
		wantID    string
		wantFound bool
		code      arca.Code
	}{
		{"www", id1, true, ""},
		{id2, id2, true, ""},
		{"db", "", false, arca.CodeInvalidArgument}, // two of them: give the id
		{"mail", "", false, arca.CodeNotFound},
		{arca.NewID(fixedNow.Add(9)), "", false, ""}, // an unknown id goes to the server as it is
	}
	for _, tt := range tests {
		got, found, err := resolve("source", tt.ref, items, func(s serverapi.Source) string { return s.ID },
			func(s serverapi.Source) string { return s.Name })
		if got.ID != tt.wantID || found != tt.wantFound || (err == nil) != (tt.code == "") || (err != nil && arca.ErrorCode(err) != tt.code) {
			t.Errorf("resolve(%q) = %q, %v, %v; want %q, %v, code %q", tt.ref, got.ID, found, err, tt.wantID, tt.wantFound, tt.code)
		}
	}
}
