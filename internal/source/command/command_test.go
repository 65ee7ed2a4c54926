package command_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/command"
	"github.com/arcabackup/arca/internal/source/sourcetest"
)

func config(t *testing.T, settings any, secret string) source.Config {
	t.Helper()
	b, err := json.Marshal(settings)
	if err != nil {
		t.Fatal(err)
	}
	return source.Config{Source: arca.Source{ID: "src1", Name: "export", Kind: arca.SourceCommand, Settings: b}, Secret: secret}
}

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Conformance{
		Driver: command.New(),
		// 4 MB of output, and a failure unless the secret arrived.
		Config: config(t, command.Settings{Command: []string{"sh", "-c", `head -c 4000000 /dev/zero && test "$ARCA_PW" = "s3cret""-pw"`},
			SecretEnv: "ARCA_PW"}, "s3cret-pw"),
		Invalid: []sourcetest.Invalid{
			{Name: "no command", Settings: `{}`, Field: "settings.command"},
			{Name: "empty program", Settings: `{"command": [""]}`, Field: "settings.command"},
			{Name: "name with slash", Settings: `{"command": ["true"], "name": "a/b"}`, Field: "settings.name"},
			{Name: "relative dir", Settings: `{"command": ["true"], "dir": "tmp"}`, Field: "settings.dir"},
			{Name: "bad env", Settings: `{"command": ["true"], "env": {"A-B": "1"}}`, Field: "settings.env.A-B"},
			{Name: "bad secret env", Settings: `{"command": ["true"], "secret_env": "1X"}`, Field: "settings.secret_env"},
			{Name: "unknown", Settings: `{"command": ["true"], "comand": ["x"]}`, Field: "settings.comand"},
			{Name: "wrong type", Settings: `{"command": "pg_dumpall"}`, Field: "settings.command"},
		},
	})
}

func TestBackupAndRestore(t *testing.T) {
	out := filepath.Join(t.TempDir(), "restored")
	c := config(t, command.Settings{
		Command:        []string{"sh", "-c", `printf 'line one\n%s\n' "$GREETING"`},
		Name:           "export.txt",
		Env:            map[string]string{"GREETING": "hello", "OUT": out},
		RestoreCommand: []string{"sh", "-c", `cat > "$OUT"`},
	}, "")

	sink := &sourcetest.Sink{}
	meta, err := command.New().Backup(context.Background(), c, source.BackupOptions{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"export.txt"}, sink.Names()); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("line one\nhello\n", string(sink.Data("export.txt"))); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
	wantMeta := source.Meta{"engine": "command", "command": `["sh","-c","printf 'line one\\n%s\\n' \"$GREETING\""]`}
	if diff := cmp.Diff(wantMeta, meta); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	res, err := command.New().Restore(context.Background(), c, sink.Reader(meta), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("line one\nhello\n", string(got)); diff != "" {
		t.Errorf("restored (-want +got):\n%s", diff)
	}
	if res.Bytes != int64(len(got)) {
		t.Errorf("restore bytes = %d, want %d", res.Bytes, len(got))
	}
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name     string
		command  []string
		code     arca.Code
		contains []string
	}{
		{"exit status and stderr", []string{"sh", "-c", "echo 'cannot open the export' >&2; exit 4"}, arca.CodeUnavailable,
			[]string{`source "export"`, "exit status 4", "cannot open the export"}},
		{"missing program", []string{"arca-no-such-program"}, arca.CodeUnavailable,
			[]string{`source "export"`, "arca-no-such-program"}},
		{"secret scrubbed", []string{"sh", "-c", `echo "password $PW rejected" >&2; exit 1`}, arca.CodeUnavailable,
			[]string{"password *** rejected"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := config(t, command.Settings{Command: tc.command, SecretEnv: "PW"}, "hunter2-secret")
			_, err := command.New().Backup(context.Background(), c, source.BackupOptions{}, &sourcetest.Sink{})
			if got := arca.ErrorCode(err); got != tc.code {
				t.Fatalf("code = %s (%v), want %s", got, err, tc.code)
			}
			msg := arca.ErrorMessage(err)
			for _, s := range tc.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
			if strings.Contains(err.Error(), "hunter2-secret") {
				t.Errorf("the secret is in the error: %v", err)
			}
		})
	}
}

func TestProbe(t *testing.T) {
	if err := command.New().Probe(context.Background(), config(t, command.Settings{Command: []string{"sh"}}, "")); err != nil {
		t.Errorf("Probe(sh) = %v", err)
	}
	err := command.New().Probe(context.Background(), config(t, command.Settings{Command: []string{"arca-no-such-program"}}, ""))
	if arca.ErrorCode(err) != arca.CodeUnavailable || !strings.Contains(arca.ErrorMessage(err), "settings.command") {
		t.Errorf("Probe(missing) = %v, want UNAVAILABLE naming settings.command", err)
	}
}

func TestRestoreFailureAndTarget(t *testing.T) {
	c := config(t, command.Settings{Command: []string{"true"}}, "")
	snap := sourcetest.NewReader(nil, sourcetest.NewStream("stdout", []byte("data")))
	if _, err := command.New().Restore(context.Background(), c, snap, nil); arca.ErrorCode(err) != arca.CodeInvalidArgument {
		t.Errorf("restore without a command = %v, want INVALID_ARGUMENT", err)
	}
	_, err := command.New().Restore(context.Background(), c, snap, json.RawMessage(`{"command": ["sh", "-c", "cat >/dev/null; echo refused >&2; exit 2"]}`))
	if arca.ErrorCode(err) != arca.CodeUnavailable || !strings.Contains(arca.ErrorMessage(err), "refused") {
		t.Errorf("failing restore = %v, want UNAVAILABLE with the stderr tail", err)
	}
}
