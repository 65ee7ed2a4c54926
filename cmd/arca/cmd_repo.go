package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"
	"runtime/pprof"
	"sort"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/location"
)

// Exit codes of `arca repo …` beside ExitOK, ExitError, ExitUsage and
// ExitInterrupted (documented in docs/cli-repo.md).
const (
	ExitRepoWarnings      = 3  // backup saved a snapshot, but some files could not be read
	ExitRepoNotFound      = 10 // no repository at the location
	ExitRepoWrongPassword = 11 // no key of the repository opens with the password
	ExitRepoDamaged       = 12 // check found damaged or missing data
)

// exitError carries the exit code an error should end the process with.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
func (e exitError) ExitCode() int { return e.code }

// repoOptions are the flags every `arca repo` verb shares.
type repoOptions struct {
	m            *Main
	repo         string
	passwordFile string
	quiet        bool
	cacheDir     string
	cpuProfile   string
	memProfile   string
	traceFile    string
	kdf          repo.KDFParams // of new keys; zero: the format's defaults
}

// newRepoCmd is the `arca repo` group: the offline client of a repository,
// which needs neither a server nor a catalog.
func newRepoCmd(m *Main) *cobra.Command {
	o := &repoOptions{m: m}
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Work on a repository directly, without a server",
		Long: "The `arca repo` commands read and write a repository on a local path or S3 with the password alone: " +
			"no server, no catalog. Exit codes are listed in docs/cli-repo.md.",
	}
	pf := cmd.PersistentFlags()
	pf.StringVarP(&o.repo, "repo", "r", "", "repository: a directory or s3://host[:port]/bucket[/prefix] (default $ARCA_REPOSITORY)")
	pf.StringVar(&o.passwordFile, "password-file", "", "read the repository password from this file (default $ARCA_PASSWORD_FILE, $ARCA_PASSWORD, or a prompt)")
	pf.BoolVarP(&o.quiet, "quiet", "q", false, "print no progress and no summary")
	pf.StringVar(&o.cacheDir, "cache-dir", "", "spill the index to this directory instead of memory")
	pf.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	pf.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file at the end")
	pf.StringVar(&o.traceFile, "trace", "", "write an execution trace to this file")
	pf.Uint32Var(&o.kdf.Time, "kdf-time", 0, "Argon2id passes of new keys")
	pf.Uint32Var(&o.kdf.Memory, "kdf-memory", 0, "Argon2id memory of new keys, KiB")
	for _, name := range []string{"cpuprofile", "memprofile", "trace", "kdf-time", "kdf-memory"} {
		_ = pf.MarkHidden(name)
	}
	verbs := []func(*repoOptions) *cobra.Command{
		newRepoInitCmd,
		newRepoBackupCmd,
		newRepoSnapshotsCmd,
		newRepoLsCmd,
		newRepoRestoreCmd,
		newRepoDumpCmd,
		newRepoCheckCmd,
		newRepoForgetCmd,
		newRepoPruneCmd,
		newRepoKeyCmd,
		newRepoStatsCmd,
	}
	for _, v := range verbs {
		cmd.AddCommand(v(o))
	}
	return cmd
}

// run adapts a verb to cobra: it profiles when asked and gives repository
// errors their exit codes and a sentence that names the location.
func (o *repoOptions) run(fn func(ctx context.Context, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		stop, err := o.startProfiles()
		if err != nil {
			return err
		}
		stopTrace, err := startTrace(o.traceFile)
		if err != nil {
			return err
		}
		defer stopTrace()
		untune := o.tuneMemory()
		err = fn(cmd.Context(), args)
		untune()
		if perr := stop(); err == nil {
			err = perr
		}
		return o.classify(err)
	}
}

func (o *repoOptions) startProfiles() (stop func() error, err error) {
	var cpu *os.File
	if o.cpuProfile != "" {
		if cpu, err = os.Create(o.cpuProfile); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
	}
	return func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				return fmt.Errorf("cpu profile: %w", err)
			}
		}
		if o.memProfile == "" {
			return nil
		}
		f, err := os.Create(o.memProfile)
		if err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("heap profile: %w", err)
		}
		return f.Close()
	}, nil
}

// classify maps the errors scripts branch on to their exit codes.
func (o *repoOptions) classify(err error) error {
	var ee exitError
	switch {
	case err == nil, errors.As(err, &ee):
		return err
	case errors.Is(err, repo.ErrWrongPassword):
		return exitError{ExitRepoWrongPassword, &arca.Error{Code: arca.CodeUnauthenticated, Err: err,
			Message: fmt.Sprintf("Wrong password for the repository at %s: no key of the repository opens with it.", o.where())}}
	case errors.Is(err, repo.ErrNotARepository), errors.Is(err, location.ErrNoRepository):
		return exitError{ExitRepoNotFound, &arca.Error{Code: arca.CodeNotFound, Err: err,
			Message: fmt.Sprintf("There is no repository at %s (create one with `arca repo init`, or check --repo).", o.where())}}
	case errors.Is(err, location.ErrInvalid):
		return usageError{err}
	}
	return err
}

// where names the repository for messages, without credentials.
func (o *repoOptions) where() string {
	loc, err := o.location()
	if err != nil {
		return "(no valid location)"
	}
	return loc.String()
}

func (o *repoOptions) location() (location.Location, error) {
	s := o.repo
	if s == "" {
		s = o.m.Getenv("ARCA_REPOSITORY")
	}
	return location.Parse(s, o.m.Getenv)
}

// open opens the repository with the password.
func (o *repoOptions) open(ctx context.Context) (*repo.Repository, error) {
	return o.openAfterKey(ctx, nil)
}

// openAfterKey is open, calling keyOpened (if not nil) as soon as the
// password opened a key, before the index loads.
func (o *repoOptions) openAfterKey(ctx context.Context, keyOpened func()) (*repo.Repository, error) {
	loc, err := o.location()
	if err != nil {
		return nil, err
	}
	store, err := newLocationRegistry().Open(ctx, loc, false)
	if err != nil {
		return nil, err
	}
	pw, err := o.password(false)
	if err != nil {
		return nil, err
	}
	opts := o.openOptions()
	opts.KeyOpened = keyOpened
	r, err := repo.Open(ctx, store, pw, opts)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", loc, err)
	}
	// The key derivation left 64 MiB of Argon2id memory behind: collect it
	// now, or the heap's first goal (twice that) lets the pipeline grow to
	// 128 MiB before the first collection.
	runtime.GC()
	return r, nil
}

func (o *repoOptions) openOptions() repo.OpenOptions {
	return repo.OpenOptions{IndexCacheDir: o.cacheDir, Now: o.m.Now}
}

// findSnapshot resolves an id, a unique id prefix or "latest".
func findSnapshot(ctx context.Context, r *repo.Repository, s string) (repo.ID, *repo.Snapshot, error) {
	id, err := r.FindSnapshot(ctx, s)
	switch {
	case errors.Is(err, repo.ErrSnapshotNotFound):
		return repo.ID{}, nil, &arca.Error{Code: arca.CodeNotFound, Err: err,
			Message: fmt.Sprintf("No snapshot matches %q (give an id, a unique id prefix or latest).", s)}
	case errors.Is(err, repo.ErrAmbiguousSnapshot):
		return repo.ID{}, nil, &arca.Error{Code: arca.CodeInvalidArgument, Err: err,
			Message: fmt.Sprintf("The prefix %q matches more than one snapshot; give more digits.", s)}
	case err != nil:
		return repo.ID{}, nil, fmt.Errorf("snapshot %q: %w", s, err)
	}
	sn, err := r.LoadSnapshot(ctx, id)
	if err != nil {
		return repo.ID{}, nil, fmt.Errorf("snapshot %s: %w", id.Short(), err)
	}
	return id, sn, nil
}

// snapshotEntry is a snapshot with its id, as `--json` prints it.
type snapshotEntry struct {
	ID      repo.ID `json:"id"`
	ShortID string  `json:"short_id"`
	*repo.Snapshot
}

// listSnapshots returns every snapshot, oldest first.
func listSnapshots(ctx context.Context, r *repo.Repository) ([]snapshotEntry, error) {
	var out []snapshotEntry
	err := r.ListSnapshots(ctx, func(id repo.ID, sn *repo.Snapshot) error {
		out = append(out, snapshotEntry{ID: id, ShortID: id.Short(), Snapshot: sn})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].ID.String() < out[j].ID.String()
	})
	return out, nil
}

// keyOptions describe a new key file of this user on this host.
func (o *repoOptions) keyOptions() repo.KeyOptions {
	host, username := whoami()
	return repo.KeyOptions{Hostname: host, Username: username, KDF: o.kdf}
}

// whoami returns the host and user names recorded in snapshots and keys.
func whoami() (host, username string) {
	host, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		username = u.Username
	}
	return host, username
}
