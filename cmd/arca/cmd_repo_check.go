package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/checker"
)

type checkFlags struct {
	readData bool
	subset   string
	json     bool
}

func newRepoCheckCmd(o *repoOptions) *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Verify the repository's structure, and with --read-data its data",
		Long: "Check that every pack, index entry, snapshot and tree is present and readable. --read-data also " +
			"decrypts and verifies every blob; --read-data-subset reads a share (\"10%\") or a group (\"2/5\": run " +
			"1/5 … 5/5 to read everything once). Damage is reported per pack and per affected file; the exit code is 12.",
		Args: args(cobra.NoArgs),
	}
	cmd.Flags().BoolVar(&f.readData, "read-data", false, "read and verify all data")
	cmd.Flags().StringVar(&f.subset, "read-data-subset", "", "read and verify a share (such as 10%) or a group n/m of the packs")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON")
	cmd.RunE = o.run(func(ctx context.Context, _ []string) error { return o.check(ctx, f) })
	return cmd
}

// checkOutput is what `check --json` prints.
type checkOutput struct {
	OK bool `json:"ok"`
	*checker.Report
}

func (o *repoOptions) check(ctx context.Context, f checkFlags) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	r, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	bar := o.newProgress(ctx, "check", false)
	if bar.enabled() {
		opts.Progress = throttled(bar, func(p checker.Progress) (int64, int64, string) {
			return p.Done, p.Total, fmt.Sprintf("%s, %s read", p.Phase, humanBytes(p.Bytes))
		})
	}
	rep, err := checker.Check(ctx, r, opts)
	bar.finish()
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if f.json {
		if err := printJSON(o.m.Stdout, checkOutput{OK: rep.OK(), Report: rep}); err != nil {
			return err
		}
	} else {
		o.printCheck(rep)
	}
	if !rep.OK() {
		return exitError{ExitRepoDamaged, fmt.Errorf("the check found damaged or missing data in %s (see the report)", o.where())}
	}
	return nil
}

func (o *repoOptions) printCheck(rep *checker.Report) {
	if o.quiet && rep.OK() {
		return
	}
	fmt.Fprint(o.m.Stdout, rep.String())
	for _, a := range rep.Affected {
		for _, d := range a.Dirs {
			fmt.Fprintf(o.m.Stdout, "  snapshot %s: directory %s cannot be listed\n", a.Snapshot.Short(), d)
		}
		for _, p := range a.Files {
			fmt.Fprintf(o.m.Stdout, "  snapshot %s: file %s is damaged\n", a.Snapshot.Short(), p)
		}
	}
}

func (f checkFlags) options() (checker.Options, error) {
	opts := checker.Options{ReadData: f.readData}
	s := f.subset
	switch {
	case s == "":
	case strings.HasSuffix(s, "%"):
		pct, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || pct <= 0 || pct > 100 {
			return opts, usageError{fmt.Errorf("--read-data-subset %q: want a percentage in (0, 100]", s)}
		}
		opts.ReadDataPercent = pct
	default:
		ns, ms, ok := strings.Cut(s, "/")
		n, err1 := strconv.Atoi(ns)
		m, err2 := strconv.Atoi(ms)
		if !ok || err1 != nil || err2 != nil || n < 1 || n > m {
			return opts, usageError{fmt.Errorf("--read-data-subset %q: want a percentage (10%%) or n/m with 1 ≤ n ≤ m", s)}
		}
		opts.ReadDataSubset = checker.Subset{N: n, M: m}
	}
	return opts, nil
}
