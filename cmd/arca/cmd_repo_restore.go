package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/restorer"
)

type restoreFlags struct {
	target, overwrite string
	includes          []string
	noOwner, noXattrs bool
	json              bool
}

func newRepoRestoreCmd(o *repoOptions) *cobra.Command {
	var f restoreFlags
	cmd := &cobra.Command{
		Use:   "restore SNAPSHOT --target DIR",
		Short: "Restore a snapshot (or parts of it) into a directory",
		Long: "Restore the snapshot into DIR, which is created if missing. Every blob is verified as it is read; a file " +
			"whose data is damaged is not written, is named on stderr, and the exit code is 1. With --include, only the " +
			"given paths (as `arca repo ls` shows them) are restored, each at its place under DIR.",
		Args: args(cobra.ExactArgs(1)),
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.target, "target", "t", "", "directory to restore into (required)")
	fl.StringArrayVarP(&f.includes, "include", "i", nil, "restore only this path of the snapshot (repeatable)")
	fl.StringVar(&f.overwrite, "overwrite", "never", "existing files: never, if-changed or always")
	fl.BoolVar(&f.noOwner, "no-owner", false, "do not restore owners (they are restored only as root anyway)")
	fl.BoolVar(&f.noXattrs, "no-xattrs", false, "do not restore extended attributes")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	cmd.RunE = o.run(func(ctx context.Context, a []string) error { return o.restore(ctx, a[0], f) })
	return cmd
}

func (o *repoOptions) restore(ctx context.Context, snap string, f restoreFlags) error {
	if f.target == "" {
		return usageError{errors.New("give the directory to restore into with --target")}
	}
	ow, err := restorer.ParseOverwrite(f.overwrite)
	if err != nil {
		return usageError{err}
	}
	r, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	id, sn, err := findSnapshot(ctx, r, snap)
	if err != nil {
		return err
	}
	jobs, err := restorer.New(r).Select(ctx, sn.Tree, f.target, f.includes)
	if err != nil {
		return usageError{fmt.Errorf("--include: %w", err)}
	}
	bar := o.newProgress(ctx, "restore", true)
	opts := restorer.Options{Overwrite: ow, NoOwner: f.noOwner, NoXattrs: f.noXattrs, ProgressInterval: bar.interval()}
	if bar.enabled() {
		opts.Progress = func(p restorer.Progress) {
			bar.update(int64(p.BytesDone), int64(p.BytesTotal), p.TotalsFinal,
				fmt.Sprintf("%d/%d files, %d failed", p.FilesDone, p.FilesTotal, p.Failures))
		}
	}
	var total restorer.Result
	for _, j := range jobs {
		opts.Path = j.Path
		res, err := restorer.New(r).Restore(ctx, sn.Tree, j.Target, opts)
		total.Add(res)
		if err != nil {
			bar.finish()
			return err
		}
	}
	bar.finish()
	return o.reportRestore(id, f.target, &total, f.json)
}

func (o *repoOptions) reportRestore(id repo.ID, target string, res *restorer.Result, jsonOut bool) error {
	if jsonOut {
		if err := printJSON(o.m.Stdout, res); err != nil {
			return err
		}
	} else {
		for _, f := range res.Failures {
			fmt.Fprintf(o.m.Stderr, "failed: %s\n", f)
		}
		if !o.quiet {
			fmt.Fprintf(o.m.Stdout, "restored snapshot %s to %s: %d files, %d dirs, %d links, %d others, %s; %d kept\n",
				id.Short(), target, res.Files, res.Dirs, res.Links, res.Others, humanBytes(int64(res.Bytes)), res.Skipped)
		}
	}
	if res.FailureCount > 0 {
		return fmt.Errorf("%d path(s) could not be restored (see above)", res.FailureCount)
	}
	return nil
}
