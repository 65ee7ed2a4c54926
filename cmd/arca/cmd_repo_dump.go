package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
	"github.com/arcabackup/arca/internal/restorer"
)

func newRepoDumpCmd(o *repoOptions) *cobra.Command {
	var archive string
	cmd := &cobra.Command{
		Use:   "dump SNAPSHOT PATH",
		Short: "Write a file of a snapshot to stdout, or a directory as a tar or zip archive",
		Long: "Write the file at PATH (as `arca repo ls` shows it) to standard output. A directory (or \"/\") is " +
			"written as an archive: tar unless --archive zip. Data is verified as it is read: damaged data ends the " +
			"output with an error, never with wrong bytes.",
		Args: args(cobra.ExactArgs(2)),
	}
	cmd.Flags().StringVarP(&archive, "archive", "a", "", "archive format for a directory: tar (default) or zip")
	cmd.RunE = o.run(func(ctx context.Context, a []string) error {
		if archive != "" && archive != "tar" && archive != "zip" {
			return usageError{fmt.Errorf("unknown archive format %q (want tar or zip)", archive)}
		}
		r, err := o.open(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		_, sn, err := findSnapshot(ctx, r, a[0])
		if err != nil {
			return err
		}
		n, err := resolvePath(ctx, r, sn.Tree, a[1])
		if err != nil {
			return err
		}
		if archive == "" && n != nil && n.Type == tree.TypeFile {
			return dumpFile(ctx, r, o.m.Stdout, n)
		}
		if archive == "" && n != nil && n.Type != tree.TypeDir {
			return usageError{fmt.Errorf("%s is a %v: give --archive tar to dump it", a[1], n.Type)}
		}
		return o.dumpArchive(ctx, r, sn.Tree, a[1], archive)
	})
	return cmd
}

// dumpFile writes a file's content, blob by blob, each verified on load.
func dumpFile(ctx context.Context, r *repo.Repository, w io.Writer, n *tree.Node) error {
	var buf []byte
	for _, id := range n.Content {
		var err error
		if buf, err = r.LoadBlob(ctx, repo.DataBlob, repo.ID(id), buf); err != nil {
			return fmt.Errorf("dump %s: %w", n.Name, err)
		}
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("dump %s: %w", n.Name, err)
		}
	}
	return nil
}

func (o *repoOptions) dumpArchive(ctx context.Context, r *repo.Repository, root repo.ID, p, format string) error {
	write := restorer.New(r).WriteTar
	if format == "zip" {
		write = restorer.New(r).WriteZip
	}
	res, err := write(ctx, o.m.Stdout, root, restorer.StreamOptions{Path: p})
	if err != nil {
		return err
	}
	for _, f := range res.Failures {
		fmt.Fprintf(o.m.Stderr, "left out: %s\n", f)
	}
	return nil
}
