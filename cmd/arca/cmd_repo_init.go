package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/repo"
)

func newRepoInitCmd(o *repoOptions) *cobra.Command {
	var compression string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a repository",
		Long: "Create an empty repository at --repo, encrypted with the password. A local directory must be empty or " +
			"absent; an S3 bucket is created if missing and its prefix must be empty.",
		Args: args(cobra.NoArgs),
	}
	cmd.Flags().StringVar(&compression, "compression", "fast", "compression level: off, fast, better or best")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the new repository's config as JSON")
	cmd.RunE = o.run(func(ctx context.Context, _ []string) error {
		level, err := parseCompression(compression)
		if err != nil {
			return err
		}
		return o.initRepo(ctx, level, jsonOut)
	})
	return cmd
}

func (o *repoOptions) initRepo(ctx context.Context, level int, jsonOut bool) error {
	loc, err := o.location()
	if err != nil {
		return err
	}
	pw, err := o.password(true)
	if err != nil {
		return err
	}
	store, err := newLocationRegistry().Open(ctx, loc, true)
	if err != nil {
		return err
	}
	host, username := whoami()
	r, err := repo.Init(ctx, store, pw, repo.InitOptions{
		Compression: level, KDF: o.kdf, Hostname: host, Username: username, Open: o.openOptions(), Now: o.m.Now,
	})
	if err != nil {
		return fmt.Errorf("init repository %s: %w", loc, err)
	}
	defer r.Close()
	if jsonOut {
		return printJSON(o.m.Stdout, r.Config())
	}
	if !o.quiet {
		fmt.Fprintf(o.m.Stdout, "created repository %s at %s\n", r.Config().ID.Short(), loc)
		fmt.Fprintln(o.m.Stdout, "Keep the password safe: without it the data cannot be read back.")
	}
	return nil
}

func parseCompression(s string) (int, error) {
	switch s {
	case "off":
		return repo.CompressionOff, nil
	case "fast", "", "auto":
		return repo.CompressionFast, nil
	case "better":
		return repo.CompressionBetter, nil
	case "best", "max":
		return repo.CompressionBest, nil
	}
	return 0, usageError{fmt.Errorf("unknown compression %q (want off, fast, better or best)", s)}
}
