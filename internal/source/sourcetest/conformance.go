package sourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/source"
)

// Conformance describes a driver and sources to check it with.
type Conformance struct {
	Driver source.Driver
	// Config is a working source whose backup runs a child process and
	// produces more than a pipe's buffer (1 MiB is plenty), so that the
	// child is still running when the first bytes arrive. Its Secret, if
	// any, must be needed by the backup.
	Config source.Config
	// Invalid are settings Validate must refuse.
	Invalid []Invalid
	// InProcess says the driver runs no child process (sqlite): the
	// checks of child processes are left out, and a canceled backup must
	// still return a cancellation promptly.
	InProcess bool
}

// Invalid is a setting Validate must refuse, naming Field.
type Invalid struct {
	Name     string
	Settings string
	Field    string // as in arca.FieldError.Field, e.g. "settings.url"
}

// Run checks the driver: Validate accepts Config and names the bad field
// of each Invalid; no child process of a backup shows the secret in its
// argument list, and neither do the backup's Meta nor a failed probe's
// error; canceling a backup ends its child processes promptly and returns
// a cancellation. The secret checks run when Config has a Secret.
//
// Run looks at every child process of the test binary: call it from a
// test that is not parallel, so that no other test's children are about.
func Run(t *testing.T, c Conformance) {
	t.Run("Validate", func(t *testing.T) { checkValidate(t, c) })
	if c.Config.Secret != "" {
		t.Run("SecretNotInArgv", func(t *testing.T) { checkSecret(t, c) })
	}
	t.Run("CancelEndsChild", func(t *testing.T) { checkCancel(t, c) })
}

func checkValidate(t *testing.T, c Conformance) {
	if err := c.Driver.Validate(c.Config.Source.Settings); err != nil {
		t.Errorf("Validate(working settings) = %v", err)
	}
	for _, in := range c.Invalid {
		t.Run(in.Name, func(t *testing.T) {
			err := c.Driver.Validate(json.RawMessage(in.Settings))
			var ae *arca.Error
			if !errors.As(err, &ae) || ae.Code != arca.CodeInvalidArgument {
				t.Fatalf("Validate(%s) = %v, want INVALID_ARGUMENT", in.Settings, err)
			}
			var fields []string
			for _, f := range ae.Fields {
				fields = append(fields, f.Field)
				if f.Field == in.Field {
					return
				}
			}
			t.Errorf("Validate(%s) names fields %v, want %s", in.Settings, fields, in.Field)
		})
	}
}

func checkSecret(t *testing.T, c Conformance) {
	secret := c.Config.Secret
	var seen []Proc
	sink := &Sink{Gate: func(ctx context.Context, name string) error {
		if len(seen) == 0 {
			seen = Children()
		}
		return nil
	}}
	meta, err := c.Driver.Backup(context.Background(), c.Config, source.BackupOptions{Level: source.LevelFull}, sink)
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if len(seen) == 0 && !c.InProcess {
		t.Fatal("no child process was running while the first stream was read")
	}
	for _, p := range seen {
		if strings.Contains(p.Cmdline, secret) {
			t.Errorf("the secret is in the arguments of child %d: %s", p.PID, p.Cmdline)
		}
	}
	for k, v := range meta {
		if strings.Contains(v, secret) {
			t.Errorf("the secret is in meta %s", k)
		}
	}
	bad := c.Config
	bad.Secret = secret + "-wrong"
	if err := c.Driver.Probe(context.Background(), bad); err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("the secret is in a failed probe's error: %v", err)
	}
}

func checkCancel(t *testing.T, c Conformance) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var running []Proc
	var canceledAt time.Time
	sink := &Sink{Gate: func(gctx context.Context, name string) error {
		running = Children()
		canceledAt = time.Now()
		cancel()
		<-gctx.Done()
		return gctx.Err()
	}}
	done := make(chan error, 1)
	go func() {
		_, err := c.Driver.Backup(ctx, c.Config, source.BackupOptions{Level: source.LevelFull}, sink)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("Backup did not return after cancel")
	}
	if len(running) == 0 && !c.InProcess {
		t.Fatalf("no child process was running while the first stream was read (Backup: %v)", err)
	}
	if d := time.Since(canceledAt); d > 5*time.Second {
		t.Errorf("Backup returned %v after cancel, want promptly", d)
	}
	if arca.ErrorCode(err) != arca.CodeCanceled {
		t.Errorf("Backup after cancel = %v (%s), want a cancellation", err, arca.ErrorCode(err))
	}
	for _, p := range running {
		// Killed children are reaped by Backup; grandchildren by init, which
		// may take a moment.
		for Alive(p.PID) {
			if time.Since(canceledAt) > 5*time.Second {
				t.Errorf("child %d (%s) still running after cancel", p.PID, p.Cmdline)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
