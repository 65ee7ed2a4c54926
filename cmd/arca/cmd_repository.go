package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/repo/location"
	"github.com/arcabackup/arca/internal/serverapi"
)

func newRepositoryCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repository",
		Short: "Manage the repositories registered on the server (over the API)",
		Long: "The repositories the server backs up into, registered in its catalog: add one (the server initialises it,\n" +
			"or attaches the one already there), list, show, rename or re-key its credentials, remove the registration.\n" +
			"These commands talk to the server (after arca login). To work on a repository directly, without a\n" +
			"server, use arca repo.",
	}
	cmd.AddCommand(m.repositoryAddCmd(), m.repositoryListCmd(), m.repositoryShowCmd(), m.repositoryRmCmd(), m.repositoryEditCmd(), m.repositorySyncCmd())
	return cmd
}

type repositoryAddFlags struct {
	attach       bool
	passwordFile string
	accessKey    string
	secretFile   string
	start        startFlags
}

func (m *Main) repositoryAddCmd() *cobra.Command {
	var f repositoryAddFlags
	cmd := &cobra.Command{
		Use:   "add NAME LOCATION",
		Short: "Register a repository: initialise a new one, or attach the one at LOCATION",
		Long: "LOCATION is a directory on the server's machine (an absolute path) or s3://host[:port]/bucket[/prefix]\n" +
			"[?tls=false&region=r]. The server initialises an empty location, or attaches the repository already there\n" +
			"after checking the password (--attach: never initialise), as a task.\n\n" +
			"The password comes from --password-file, ARCA_REPOSITORY_PASSWORD, or a prompt (never from a flag, so\n" +
			"it stays out of ps and shell history). S3 credentials: --s3-access-key or ARCA_S3_ACCESS_KEY, and\n" +
			"--s3-secret-key-file or ARCA_S3_SECRET_KEY. The server stores them encrypted and never returns them.",
		Example: "  arca repository add main /srv/backup/main --wait\n" +
			"  ARCA_S3_ACCESS_KEY=... ARCA_S3_SECRET_KEY=... arca repository add offsite s3://s3.example.com/backups/arca",
		Args: args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error { return m.repositoryAdd(cmd.Context(), a[0], a[1], f) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.attach, "attach", false, "only attach an existing repository; fail rather than initialise one")
	fl.StringVar(&f.passwordFile, "password-file", "", "read the repository password from the first line of this file")
	fl.StringVar(&f.accessKey, "s3-access-key", "", "S3 access key (default $ARCA_S3_ACCESS_KEY or $AWS_ACCESS_KEY_ID)")
	fl.StringVar(&f.secretFile, "s3-secret-key-file", "", "read the S3 secret key from this file (default $ARCA_S3_SECRET_KEY or $AWS_SECRET_ACCESS_KEY)")
	f.start.register(fl)
	return cmd
}

func (m *Main) repositoryAdd(ctx context.Context, name, loc string, f repositoryAddFlags) error {
	req, err := m.repositoryCreate(name, loc, f)
	if err != nil {
		return err
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	if req.Password, err = m.repositoryPassword(f.passwordFile, !f.attach); err != nil {
		return err
	}
	a, err := c.CreateRepository(ctx, req, f.start.opts()...)
	if err != nil {
		return err
	}
	if !f.start.wait && !f.start.asJSON {
		fmt.Fprintf(m.Stdout, "Registered repository %s (%s); task %s initialises or attaches it (arca task watch %s).\n",
			a.Repository.Name, a.Repository.ID, a.Task.ID, a.Task.ID)
		return nil
	}
	if !f.start.wait {
		return printJSON(m.Stdout, serverapi.RepositoryCreated{Repository: a.Repository, Task: a.Task})
	}
	return m.started(ctx, c, a.Accepted, "repository "+a.Repository.Name, f.start)
}

// repositoryCreate builds the request of `repository add` from its
// location, with the S3 credentials from flags, files or the environment.
func (m *Main) repositoryCreate(name, loc string, f repositoryAddFlags) (serverapi.RepositoryCreate, error) {
	getenv := m.Getenv
	if f.accessKey != "" || f.secretFile != "" {
		secret := ""
		if f.secretFile != "" {
			s, err := readPasswordFile(f.secretFile)
			if err != nil {
				return serverapi.RepositoryCreate{}, err
			}
			secret = s
		}
		getenv = func(k string) string {
			switch {
			case k == "ARCA_S3_ACCESS_KEY" && f.accessKey != "":
				return f.accessKey
			case k == "ARCA_S3_SECRET_KEY" && secret != "":
				return secret
			}
			return m.Getenv(k)
		}
	}
	l, err := location.Parse(loc, getenv)
	if err != nil {
		return serverapi.RepositoryCreate{}, usageError{err}
	}
	req := serverapi.RepositoryCreate{Name: name, Attach: f.attach}
	switch l.Scheme {
	case location.SchemeLocal:
		if !filepath.IsAbs(stripLocal(loc)) {
			return req, usageError{fmt.Errorf("%q is a relative path: give the absolute path of the directory on the server's machine", loc)}
		}
		req.Kind, req.Path = "local", l.Path
	case location.SchemeS3:
		s := l.S3
		req.Kind, req.Endpoint, req.Bucket, req.Prefix, req.Region = "s3", s.Endpoint, s.Bucket, s.Prefix, s.Region
		req.Insecure, req.AccessKey, req.SecretKey = !s.UseTLS, s.AccessKey, s.SecretKey
	}
	return req, nil
}

func stripLocal(loc string) string {
	if len(loc) > 6 && loc[:6] == "local:" {
		return loc[6:]
	}
	return loc
}

// repositoryPassword returns a repository password: the first line of
// file, $ARCA_REPOSITORY_PASSWORD, or a prompt on a terminal (asked twice
// with confirm). It never comes from a flag's value.
func (m *Main) repositoryPassword(file string, confirm bool) (string, error) {
	if file != "" {
		return readPasswordFile(file)
	}
	if v := m.Getenv("ARCA_REPOSITORY_PASSWORD"); v != "" {
		return v, nil
	}
	o := repoOptions{m: m}
	return o.secret(secretSource{env: "ARCA_REPOSITORY_PASSWORD", fileFlag: "--password-file",
		prompt: "Repository password: ", confirm: confirm})
}

func (m *Main) repositoryListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "ls", Short: "List the repositories registered on the server", Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			all, err := c.AllRepositories(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, serverapi.RepositoryList{Items: nonNil(all)})
			}
			return printRepositoryTable(m.Stdout, all)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func printRepositoryTable(w io.Writer, rs []serverapi.Repository) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tLOCATION\tREPO ID")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Kind, repositoryLocation(r), orDash(short(r.RepoID)))
	}
	return tw.Flush()
}

// repositoryLocation renders where a repository is, in the form `add`
// takes.
func repositoryLocation(r serverapi.Repository) string {
	if r.Kind != "s3" {
		return r.Path
	}
	loc := location.Location{Scheme: location.SchemeS3, S3: location.S3{Endpoint: r.Endpoint, Bucket: r.Bucket, Prefix: r.Prefix, UseTLS: !r.Insecure}}
	return loc.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (m *Main) repositoryShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use: "show REPOSITORY", Short: "Show a repository (by id or name)", Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			id, err := resolveRepository(cmd.Context(), c, a[0])
			if err != nil {
				return err
			}
			r, err := c.GetRepository(cmd.Context(), id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(m.Stdout, r)
			}
			return printRepository(m.Stdout, r)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printRepository(w io.Writer, r serverapi.Repository) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("ID", r.ID)
	row("Name", r.Name)
	row("Kind", r.Kind)
	row("Location", repositoryLocation(r))
	row("Region", r.Region)
	row("Repository ID", r.RepoID)
	row("Tenant", r.Tenant)
	row("Created", r.CreatedAt.Local().Format(time.RFC3339))
	row("Updated", r.UpdatedAt.Local().Format(time.RFC3339))
	return tw.Flush()
}

func (m *Main) repositoryRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm REPOSITORY...",
		Short: "Remove repositories' registrations (their data stays where it is)",
		Long: "Remove the registration of each repository (by id or name) from the server's catalog. The repository's\n" +
			"data is not touched: add it again (it is attached), or open it with arca repo.",
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			for _, ref := range a {
				id, err := resolveRepository(cmd.Context(), c, ref)
				if err != nil {
					return err
				}
				if err := c.DeleteRepository(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "Removed the registration of repository %s (%s); its data stays.\n", ref, id)
			}
			return nil
		},
	}
}

type repositoryEditFlags struct {
	name         string
	password     bool
	passwordFile string
	accessKey    string
	secretFile   string
	asJSON       bool
}

func (m *Main) repositoryEditCmd() *cobra.Command {
	var f repositoryEditFlags
	cmd := &cobra.Command{
		Use:   "edit REPOSITORY",
		Short: "Rename a repository, or change the password or S3 credentials the server uses for it",
		Long: "Change what the server stores for a repository. --password takes the password from --password-file,\n" +
			"ARCA_REPOSITORY_PASSWORD or a prompt; the server checks it opens the repository before storing it. It does\n" +
			"not change the repository's keys (arca repo key passwd does).",
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error { return m.repositoryEdit(cmd.Context(), a[0], f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "new name")
	fl.BoolVar(&f.password, "password", false, "store a new password (from --password-file, $ARCA_REPOSITORY_PASSWORD or a prompt)")
	fl.StringVar(&f.passwordFile, "password-file", "", "read the new password from the first line of this file (implies --password)")
	fl.StringVar(&f.accessKey, "s3-access-key", "", "new S3 access key")
	fl.StringVar(&f.secretFile, "s3-secret-key-file", "", "read the new S3 secret key from this file")
	fl.BoolVar(&f.asJSON, "json", false, "print the repository as JSON")
	return cmd
}

func (m *Main) repositoryEdit(ctx context.Context, ref string, f repositoryEditFlags) error {
	var p serverapi.RepositoryPatch
	if f.name != "" {
		p.Name = &f.name
	}
	if f.accessKey != "" {
		p.AccessKey = &f.accessKey
	}
	if f.secretFile != "" {
		s, err := readPasswordFile(f.secretFile)
		if err != nil {
			return err
		}
		p.SecretKey = &s
	}
	if f.password || f.passwordFile != "" {
		pw, err := m.repositoryPassword(f.passwordFile, false)
		if err != nil {
			return err
		}
		p.Password = &pw
	}
	if p == (serverapi.RepositoryPatch{}) {
		return usageError{fmt.Errorf("nothing to change: give --name, --password, --s3-access-key or --s3-secret-key-file")}
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	id, err := resolveRepository(ctx, c, ref)
	if err != nil {
		return err
	}
	r, err := c.UpdateRepository(ctx, id, p)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(m.Stdout, r)
	}
	fmt.Fprintf(m.Stdout, "Updated repository %s (%s).\n", r.Name, r.ID)
	return nil
}

func (m *Main) repositorySyncCmd() *cobra.Command {
	var f startFlags
	cmd := &cobra.Command{
		Use:   "sync REPOSITORY",
		Short: "Rebuild the server's list of a repository's snapshots from the repository itself",
		Long: "The catalog's snapshot list is a cache of the repository: sync reads the repository's snapshots and\n" +
			"brings the list up to date (after another server or arca repo wrote to it), as a task.",
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := m.client()
			if err != nil {
				return err
			}
			id, err := resolveRepository(cmd.Context(), c, a[0])
			if err != nil {
				return err
			}
			acc, err := c.SyncRepository(cmd.Context(), id, f.opts()...)
			if err != nil {
				return err
			}
			return m.started(cmd.Context(), c, acc, "repository "+a[0], f)
		},
	}
	f.register(cmd.Flags())
	return cmd
}
