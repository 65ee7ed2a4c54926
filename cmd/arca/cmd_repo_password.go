package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
)

// password returns the repository password: $ARCA_PASSWORD, the file named
// by --password-file or $ARCA_PASSWORD_FILE, or a prompt when stdin is a
// terminal. With confirm (init) the prompt asks twice. The password never
// comes from the command line, so it never shows in ps or shell history.
func (o *repoOptions) password(confirm bool) (string, error) {
	file := o.passwordFile
	if file == "" {
		file = o.m.Getenv("ARCA_PASSWORD_FILE")
	}
	return o.secret(secretSource{
		env: "ARCA_PASSWORD", file: file, fileFlag: "--password-file",
		prompt: "Repository password: ", confirm: confirm,
	})
}

// newPassword returns the password of a new key: $ARCA_NEW_PASSWORD, the
// file named by --new-password-file, or a prompt asked twice.
func (o *repoOptions) newPassword(file string) (string, error) {
	return o.secret(secretSource{
		env: "ARCA_NEW_PASSWORD", file: file, fileFlag: "--new-password-file",
		prompt: "New password: ", confirm: true,
	})
}

type secretSource struct {
	env, file, fileFlag, prompt string
	confirm                     bool
}

func (o *repoOptions) secret(s secretSource) (string, error) {
	if s.file != "" {
		return readPasswordFile(s.file)
	}
	if v := o.m.Getenv(s.env); v != "" {
		return v, nil
	}
	if !isTerminal(o.m.Stdin) {
		return "", usageError{fmt.Errorf("no password: set %s, give %s, or run on a terminal to be asked", s.env, s.fileFlag)}
	}
	in := bufio.NewReader(o.m.Stdin)
	pw, err := o.m.prompt(in, s.prompt, true)
	if err != nil || !s.confirm {
		return pw, err
	}
	again, err := o.m.prompt(in, "Again: ", true)
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", usageError{errors.New("the passwords do not match")}
	}
	return pw, nil
}

// readPasswordFile reads a password from the first line of a file.
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", usageError{fmt.Errorf("password file %s: the first line is empty", path)}
	}
	return pw, nil
}

// isTerminal reports whether r or w is a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(file.Fd())
}
