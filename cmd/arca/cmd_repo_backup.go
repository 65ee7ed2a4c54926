package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/crypto"
)

type backupFlags struct {
	tags, excludes, includes []string
	oneFS, noXattrs, json    bool
	parent, host, source     string
}

func newRepoBackupCmd(o *repoOptions) *cobra.Command {
	var f backupFlags
	cmd := &cobra.Command{
		Use:   "backup PATH...",
		Short: "Back up files and directories into a snapshot",
		Long: "Back up the paths into one new snapshot. Files unchanged since the parent snapshot (by default the latest " +
			"one of this host with the same paths) are not read again. Files that cannot be read are listed as " +
			"warnings: the snapshot is still saved and the exit code is 3.",
		Args: args(cobra.MinimumNArgs(1)),
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.tags, "tag", nil, "tag the snapshot (repeatable)")
	fl.StringArrayVarP(&f.excludes, "exclude", "e", nil, "exclude paths matching this gitignore-like pattern (repeatable)")
	fl.StringArrayVarP(&f.includes, "include", "i", nil, "save only paths matching this pattern (repeatable)")
	fl.BoolVarP(&f.oneFS, "one-file-system", "x", false, "do not cross file system boundaries")
	fl.BoolVar(&f.noXattrs, "no-xattrs", false, "do not save extended attributes")
	fl.StringVar(&f.parent, "parent", "", "snapshot to compare with (id, prefix, latest or none; default: automatic)")
	fl.StringVar(&f.host, "host", "", "host name to record (default: this host's)")
	fl.StringVar(&f.source, "source", "", "free-form label of what is backed up (default fs:PATH)")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	cmd.RunE = o.run(func(ctx context.Context, paths []string) error { return o.backup(ctx, paths, f) })
	return cmd
}

// backupSummary is what `backup --json` prints.
type backupSummary struct {
	ID       repo.ID            `json:"id"`
	ShortID  string             `json:"short_id"`
	Parent   *repo.ID           `json:"parent,omitempty"`
	Stats    repo.SnapshotStats `json:"stats"`
	Warnings []archiver.Warning `json:"warnings,omitempty"`
}

func (o *repoOptions) backup(ctx context.Context, paths []string, f backupFlags) error {
	// The walk's system calls need no key. With a core the key derivation
	// leaves idle they run beside it; on a machine it fills (2 cores, 2
	// lanes) listing then cost 60 ms more CPU (both thrash the caches) for
	// no shorter backup, so there the listing starts once the key is open,
	// beside the single-threaded index load.
	sel := archiver.SnapshotOptions{Excludes: f.excludes, Includes: f.includes, OneFileSystem: f.oneFS}
	var listing *archiver.Listing
	startListing := func() { listing = archiver.StartListing(ctx, paths, sel) }
	var keyOpened func()
	if runtime.GOMAXPROCS(0) > int(crypto.DefaultKDF.Threads) {
		startListing()
	} else {
		keyOpened = startListing
	}
	defer func() { listing.Stop() }()
	r, err := o.openAfterKey(ctx, keyOpened)
	if err != nil {
		return err
	}
	defer r.Close()
	host, username := whoami()
	if f.host != "" {
		host = f.host
	}
	parent, err := chooseParent(ctx, r, f.parent, host, paths)
	if err != nil {
		return err
	}
	bar := o.newProgress(ctx, "backup", true)
	opts := archiver.SnapshotOptions{
		Excludes: f.excludes, Includes: f.includes, OneFileSystem: f.oneFS, NoXattrs: f.noXattrs,
		Parent: parent, NoScan: !bar.enabled(), ProgressInterval: bar.interval(), Listing: listing,
		Template: repo.Snapshot{Hostname: host, Username: username, Tags: f.tags, Excludes: f.excludes,
			Source: backupSource(f.source, paths), SourceKind: "fs", ProgramVersion: o.m.Version},
	}
	if bar.enabled() {
		opts.Progress = func(p archiver.Progress) {
			bar.update(int64(p.BytesDone), int64(p.BytesTotal), p.TotalsFinal,
				fmt.Sprintf("%d/%d files, %s", p.FilesDone, p.FilesTotal, p.Phase))
		}
	}
	res, err := archiver.New(r, archiver.Options{Now: o.m.Now}).Snapshot(ctx, paths, opts)
	bar.finish()
	if err != nil {
		return err
	}
	return o.reportBackup(res, f.json)
}

func (o *repoOptions) reportBackup(res *archiver.Result, jsonOut bool) error {
	sn := res.Snapshot
	if jsonOut {
		if err := printJSON(o.m.Stdout, backupSummary{ID: res.ID, ShortID: res.ID.Short(), Parent: sn.Parent,
			Stats: sn.Stats, Warnings: res.Warnings}); err != nil {
			return err
		}
	} else {
		for _, w := range res.Warnings {
			fmt.Fprintf(o.m.Stderr, "warning: %s\n", w)
		}
		if !o.quiet {
			st := sn.Stats
			fmt.Fprintf(o.m.Stdout, "snapshot %s saved\n", res.ID.Short())
			fmt.Fprintf(o.m.Stdout, "  files: %d new, %d changed, %d unmodified; %d dirs\n",
				st.FilesNew, st.FilesChanged, st.FilesUnmodified, st.Dirs)
			fmt.Fprintf(o.m.Stdout, "  %s read of %s, %s added (%s stored) in %s\n", humanBytes(int64(st.BytesRead)),
				humanBytes(int64(st.TotalBytes)), humanBytes(int64(st.BytesAdded)), humanBytes(int64(st.BytesStored)),
				st.Finished.Sub(st.Started).Round(time.Millisecond))
		}
	}
	if n := sn.Stats.Warnings; n > 0 {
		return exitError{ExitRepoWarnings, fmt.Errorf("snapshot %s saved, but %d file(s) could not be read (see the warnings)", res.ID.Short(), n)}
	}
	return nil
}

// chooseParent resolves --parent, or by default picks the newest snapshot
// of the host with the same paths.
func chooseParent(ctx context.Context, r *repo.Repository, flag, host string, paths []string) (*repo.ID, error) {
	switch flag {
	case "none":
		return nil, nil
	case "":
	default:
		id, _, err := findSnapshot(ctx, r, flag)
		if err != nil {
			return nil, fmt.Errorf("parent: %w", err)
		}
		return &id, nil
	}
	want, err := absSorted(paths)
	if err != nil {
		return nil, err
	}
	sns, err := listSnapshots(ctx, r)
	if err != nil {
		return nil, err
	}
	for i := len(sns) - 1; i >= 0; i-- {
		got, _ := absSorted(sns[i].Paths)
		if sns[i].Hostname == host && !sns[i].CopyOnly && slices.Equal(got, want) {
			return &sns[i].ID, nil
		}
	}
	return nil, nil
}

func absSorted(paths []string) ([]string, error) {
	out := make([]string, len(paths))
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("resolve %q: %w", p, err)
		}
		out[i] = abs
	}
	slices.Sort(out)
	return out, nil
}

func backupSource(label string, paths []string) string {
	if label != "" {
		return label
	}
	abs, err := absSorted(paths)
	if err != nil || len(abs) != 1 {
		return "fs"
	}
	return "fs:" + abs[0]
}
