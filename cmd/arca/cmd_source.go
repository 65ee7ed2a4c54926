package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

func newSourceCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "source",
		Short: "Manage sources: what the server backs up, and into which repository",
		Long: "A source is something the server backs up (directories of its file system, or with --settings a\n" +
			"database or a command) into one registered repository (arca repository).",
	}
	cmd.AddCommand(m.sourceAddCmd(), m.sourceListCmd(), m.sourceShowCmd(), m.sourceRmCmd())
	return cmd
}

type sourceAddFlags struct {
	kind          string
	repository    string
	paths         []string
	excludes      []string
	oneFileSystem bool
	settings      string
	secretFile    string
	skipProbe     bool
	asJSON        bool
}

func (m *Main) sourceAddCmd() *cobra.Command {
	var f sourceAddFlags
	cmd := &cobra.Command{
		Use:   "add NAME --repository REPOSITORY (--path PATH... | --settings JSON)",
		Short: "Create a source",
		Long: "Create a source backing up into REPOSITORY (id or name). For kind fs give the directories with --path\n" +
			"(paths on the server's machine; repeat it), patterns to leave out with --exclude (gitignore-like), and\n" +
			"--one-file-system to stay on each path's file system. Other kinds take their settings as JSON with\n" +
			"--settings (see docs/sources.md) and a password with --secret-file. The server checks that it can read\n" +
			"the source before it stores it (--skip-probe: don't).",
		Example: "  arca source add www --repository main --path /srv/www --exclude '*.tmp' --one-file-system\n" +
			"  arca source add pg --repository main --kind postgres --settings '{\"host\":\"db\",\"user\":\"backup\"}' --secret-file pg.pw",
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error { return m.sourceAdd(cmd.Context(), a[0], f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kind, "kind", "fs", "kind of source: fs, postgres, mysql, sqlite, command")
	fl.StringVarP(&f.repository, "repository", "r", "", "repository to back up into (id or name; required)")
	fl.StringArrayVar(&f.paths, "path", nil, "(fs) directory or file to back up; repeat for several")
	fl.StringArrayVar(&f.excludes, "exclude", nil, "(fs) pattern of paths to leave out; repeat for several")
	fl.BoolVarP(&f.oneFileSystem, "one-file-system", "x", false, "(fs) do not cross file system boundaries")
	fl.StringVar(&f.settings, "settings", "", "the kind's settings as a JSON object (instead of the fs flags)")
	fl.StringVar(&f.secretFile, "secret-file", "", "read a password the kind needs from the first line of this file")
	fl.BoolVar(&f.skipProbe, "skip-probe", false, "store the source without checking that it can be read now")
	fl.BoolVar(&f.asJSON, "json", false, "print the source as JSON")
	return cmd
}

// fsSettings are the settings of an fs source.
type fsSettings struct {
	Paths         []string `json:"paths"`
	Excludes      []string `json:"excludes,omitempty"`
	OneFileSystem bool     `json:"one_file_system,omitempty"`
}

// sourceSettings builds the settings of `source add` from its flags.
func sourceSettings(f sourceAddFlags) (json.RawMessage, error) {
	fsFlags := len(f.paths) > 0 || len(f.excludes) > 0 || f.oneFileSystem
	switch {
	case f.settings != "" && fsFlags:
		return nil, usageError{fmt.Errorf("give either --settings or --path/--exclude/--one-file-system, not both")}
	case f.settings != "":
		var obj map[string]any
		if err := json.Unmarshal([]byte(f.settings), &obj); err != nil {
			return nil, usageError{fmt.Errorf("--settings is not a JSON object: %w", err)}
		}
		return json.RawMessage(f.settings), nil
	case f.kind != "fs":
		return nil, usageError{fmt.Errorf("a source of kind %s takes its settings as JSON with --settings", f.kind)}
	case len(f.paths) == 0:
		return nil, usageError{fmt.Errorf("give at least one --path to back up")}
	}
	b, err := json.Marshal(fsSettings{Paths: f.paths, Excludes: f.excludes, OneFileSystem: f.oneFileSystem})
	return b, err
}

func (m *Main) sourceAdd(ctx context.Context, name string, f sourceAddFlags) error {
	if f.repository == "" {
		return usageError{fmt.Errorf("give the repository to back up into with --repository")}
	}
	settings, err := sourceSettings(f)
	if err != nil {
		return err
	}
	req := serverapi.SourceCreate{Name: name, Kind: f.kind, Settings: settings, SkipProbe: f.skipProbe}
	if f.secretFile != "" {
		if req.Secret, err = readPasswordFile(f.secretFile); err != nil {
			return err
		}
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	if req.RepositoryID, err = resolveRepository(ctx, c, f.repository); err != nil {
		return err
	}
	s, err := c.CreateSource(ctx, req)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(m.Stdout, s)
	}
	fmt.Fprintf(m.Stdout, "Created source %s (%s); back it up with: arca backup %s\n", s.Name, s.ID, s.Name)
	return nil
}

func (m *Main) sourceListCmd() *cobra.Command {
	var asJSON bool
	var repository, kind string
	cmd := &cobra.Command{
		Use: "ls", Short: "List sources", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			f := apiclient.SourceFilter{Kind: kind}
			if repository != "" {
				if f.RepositoryID, err = resolveRepository(cmd.Context(), c, repository); err != nil {
					return err
				}
			}
			all, err := c.AllSources(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, serverapi.SourceList{Items: nonNil(all)})
			}
			return m.printSourceTable(cmd.Context(), c, all)
		},
	}
	cmd.Flags().StringVarP(&repository, "repository", "r", "", "only the sources of this repository (id or name)")
	cmd.Flags().StringVar(&kind, "kind", "", "only sources of this kind")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printSourceTable lists sources with their repositories' names.
func (m *Main) printSourceTable(ctx context.Context, c *apiclient.Client, ss []serverapi.Source) error {
	names := map[string]string{}
	if repos, err := c.AllRepositories(ctx); err == nil {
		for _, r := range repos {
			names[r.ID] = r.Name
		}
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tREPOSITORY\tWHAT")
	for _, s := range ss {
		repo := names[s.RepositoryID]
		if repo == "" {
			repo = s.RepositoryID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Name, s.Kind, repo, sourceWhat(s))
	}
	return tw.Flush()
}

// sourceWhat summarises what a source backs up: an fs source's paths, or
// another kind's settings.
func sourceWhat(s serverapi.Source) string {
	if s.Kind == "fs" {
		var fs fsSettings
		if json.Unmarshal(s.Settings, &fs) == nil {
			return strings.Join(fs.Paths, " ")
		}
	}
	w := string(s.Settings)
	if len(w) > 60 {
		w = w[:57] + "..."
	}
	return w
}

func (m *Main) sourceShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "show SOURCE", Short: "Show a source (by id or name)", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			ss, err := resolveSources(cmd.Context(), c, a)
			if err != nil {
				return err
			}
			s, err := c.GetSource(cmd.Context(), ss[0].ID)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, s)
			}
			return printSource(m.Stdout, s)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printSource(w io.Writer, s serverapi.Source) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%s\nName:\t%s\nKind:\t%s\nRepository:\t%s\nSettings:\t%s\n", s.ID, s.Name, s.Kind, s.RepositoryID, s.Settings)
	if s.HasSecret {
		fmt.Fprintln(tw, "Secret:\tstored")
	}
	fmt.Fprintf(tw, "Tenant:\t%s\nCreated:\t%s\nUpdated:\t%s\n", s.Tenant,
		s.CreatedAt.Local().Format(time.RFC3339), s.UpdatedAt.Local().Format(time.RFC3339))
	return tw.Flush()
}

func (m *Main) sourceRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm SOURCE...",
		Short: "Delete sources (their snapshots stay in the repository)",
		Args:  args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			ss, err := resolveSources(cmd.Context(), c, a)
			if err != nil {
				return err
			}
			for _, s := range ss {
				if err := c.DeleteSource(cmd.Context(), s.ID); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "Deleted source %s (%s); its snapshots stay.\n", s.Name, s.ID)
			}
			return nil
		},
	}
}
