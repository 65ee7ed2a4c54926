package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
)

type loginFlags struct {
	user        string
	token       string
	fingerprint string
	yes         bool
}

func newLoginCmd(m *Main) *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login URL",
		Short: "Log in to a server with a username and password, or an API token",
		Long: "Log in with --user (or ARCA_USER) and a password (ARCA_PASSWORD or a prompt), which opens a session,\n" +
			"or check an API token (--token, ARCA_TOKEN, or a prompt); then store URL, session or token and the\n" +
			"server's pinned certificate fingerprint in ~/.config/arca/config.json (mode 0600; ARCA_CONFIG names\n" +
			"another file). A session ends after a while without use and at its absolute expiry: log in again.\n\n" +
			"For an https server whose certificate the\n" +
			"system does not trust (a self-signed one), pass the fingerprint `arca server` printed with\n" +
			"--fingerprint, or confirm the one shown (--yes accepts it without asking).",
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error { return m.login(cmd.Context(), a[0], f) },
	}
	cmd.Flags().StringVarP(&f.user, "user", "u", "", "username: log in with a password (prompted, or ARCA_PASSWORD)")
	cmd.Flags().StringVar(&f.token, "token", "", "API token (arca_...)")
	cmd.Flags().StringVar(&f.fingerprint, "fingerprint", "", "SHA-256 fingerprint of the server's certificate to pin")
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "trust the certificate fingerprint shown without asking")
	return cmd
}

func (m *Main) login(ctx context.Context, url string, f loginFlags) error {
	url = strings.TrimRight(url, "/")
	in := bufio.NewReader(m.Stdin)
	if f.user == "" && f.token == "" {
		f.user = m.Getenv("ARCA_USER")
	}
	fp, err := m.pinFor(ctx, in, url, f)
	if err != nil {
		return err
	}
	token, err := m.credential(ctx, in, url, fp, f)
	if err != nil {
		return err
	}
	c, err := apiclient.New(url, apiclient.Options{Token: token, Fingerprint: fp, UserAgent: "arca-cli/" + m.Version})
	if err != nil {
		return err
	}
	who, err := c.WhoAmI(ctx)
	if err != nil {
		return fmt.Errorf("check the credentials against %s: %w", url, err)
	}
	path, err := m.saveConfig(clientConfig{URL: url, Token: token, Fingerprint: fp})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Logged in to %s as %s (%s, tenant %s, roles %s). Settings saved in %s.\n",
		url, who.Name, who.ID, who.Tenant, strings.Join(who.Roles, ","), path)
	return nil
}

// credential returns the bearer credential to store: a new session of
// f.user (password from ARCA_PASSWORD or a prompt), or the API token of
// --token, ARCA_TOKEN or a prompt.
func (m *Main) credential(ctx context.Context, in *bufio.Reader, url, fp string, f loginFlags) (string, error) {
	if f.user == "" {
		token := f.token
		if token == "" {
			token = m.Getenv("ARCA_TOKEN")
		}
		if token == "" {
			return m.prompt(in, "API token: ", true)
		}
		return token, nil
	}
	password := m.Getenv("ARCA_PASSWORD")
	if password == "" {
		p, err := m.prompt(in, "Password for "+f.user+": ", true)
		if err != nil {
			return "", err
		}
		password = p
	}
	c, err := apiclient.New(url, apiclient.Options{Fingerprint: fp, UserAgent: "arca-cli/" + m.Version})
	if err != nil {
		return "", err
	}
	s, err := c.Login(ctx, f.user, password)
	if err != nil {
		return "", fmt.Errorf("log in to %s as %s: %w", url, f.user, err)
	}
	return s.Token, nil
}

// pinFor returns the fingerprint to pin for url: the given one, none for
// plain HTTP or a certificate the system trusts, else the server's own once
// the user confirms it (trust on first use).
func (m *Main) pinFor(ctx context.Context, in *bufio.Reader, url string, f loginFlags) (string, error) {
	if f.fingerprint != "" {
		return apiclient.NormalizeFingerprint(f.fingerprint)
	}
	if !strings.HasPrefix(url, "https://") {
		return "", nil
	}
	if trusted(ctx, url) {
		return "", nil
	}
	fp, err := apiclient.FetchFingerprint(ctx, url)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(m.Stderr, "The server's certificate is not signed by an authority this system trusts.\n"+
		"Its SHA-256 fingerprint is:\n\n    %s\n\nCompare it with the one `arca server` printed at start.\n", fp)
	if !f.yes {
		answer, err := m.prompt(in, "Trust this certificate? [y/N] ", false)
		if err != nil || !strings.EqualFold(strings.TrimSpace(answer), "y") && !strings.EqualFold(strings.TrimSpace(answer), "yes") {
			return "", usageError{errors.New("certificate not trusted: pass --fingerprint <fingerprint> or --yes")}
		}
	}
	return apiclient.NormalizeFingerprint(fp)
}

// trusted reports whether the server's certificate verifies against the
// system's roots.
func trusted(ctx context.Context, url string) bool {
	host := strings.TrimPrefix(url, "https://")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	if !strings.Contains(host, ":") {
		host += ":443"
	}
	d := tls.Dialer{Config: &tls.Config{MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// prompt asks a question on stderr and reads a line; secret hides the
// answer when stdin is a terminal.
func (m *Main) prompt(in *bufio.Reader, question string, secret bool) (string, error) {
	fmt.Fprint(m.Stderr, question)
	if secret {
		restore := noEcho(m.Stdin)
		defer func() { restore(); fmt.Fprintln(m.Stderr) }()
	}
	line, err := in.ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		if err != nil {
			return "", usageError{fmt.Errorf("no answer on standard input: %w", err)}
		}
		return "", usageError{errors.New("empty answer")}
	}
	return line, nil
}

func newLogoutCmd(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "End the stored session on the server and forget it here",
		Long:  "End the session `arca login --user` stored (an API token stays valid: revoke it with arca token revoke) and remove the credential from the client config.",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			conf, err := m.loadConfig()
			if err != nil {
				return err
			}
			if strings.HasPrefix(conf.Token, "arcs_") {
				c, err := m.client()
				if err != nil {
					return err
				}
				if err := c.Logout(cmd.Context()); err != nil && arca.ErrorCode(err) != arca.CodeUnauthenticated {
					return err
				}
			}
			conf.Token = ""
			path, err := m.saveConfig(conf)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Logged out; the credential was removed from %s.\n", path)
			return nil
		},
	}
}
