package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

// TestSecretsNeverInServerOutput runs a backup with a known repository
// password through a real server (logging at debug), attaches with a wrong
// one, logs a user in and out, creates and uses a token, and greps every
// output of the server for the secrets: its log, the task records, the
// audit log and every answer.
func TestSecretsNeverInServerOutput(t *testing.T) {
	w := newBackupWorld(t, false, "--log-level", "debug")
	ctx := context.Background()
	repoPassword := "repo-pass-" + t.Name()
	const wrongRepoPassword = "wrong-repository-phrase-5k2j"
	const userPassword = "she-has-a-long-phrase-8d1s"
	var outputs []string
	keep := func(v any) {
		b, _ := json.Marshal(v)
		outputs = append(outputs, string(b))
	}

	src := w.fsSource(t, "docs", randomFiles(1, 20, 4096))
	acc, err := w.c.BackupSource(ctx, src.ID, serverapi.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if task := w.wait(t, acc.Task.ID); task.State != "succeeded" {
		t.Fatalf("backup: %+v", task)
	}
	bad, err := w.c.CreateRepository(ctx, serverapi.RepositoryCreate{Name: "again", Kind: "local", Path: w.repo.Path,
		Password: wrongRepoPassword, Attach: true})
	if err != nil {
		t.Fatal(err)
	}
	keep(w.wait(t, bad.Task.ID))
	if _, err := w.c.CreateUser(ctx, serverapi.UserCreate{Username: "carol", Password: userPassword, Roles: []string{"operator"}}); err != nil {
		t.Fatal(err)
	}
	anon, _ := apiclient.New(w.ts.URL, apiclient.Options{})
	_, err = anon.Login(ctx, "carol", "not-the-right-phrase-at-all")
	keep(err)
	sess, err := anon.Login(ctx, "carol", userPassword)
	if err != nil {
		t.Fatal(err)
	}
	carol, _ := apiclient.New(w.ts.URL, apiclient.Options{Token: sess.Token})
	tok, err := carol.CreateToken(ctx, serverapi.TokenCreate{Name: "x", Roles: []string{"viewer"}})
	keep(err) // an operator may not create tokens
	created, err := w.c.CreateToken(ctx, serverapi.TokenCreate{Name: "ci", Roles: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = tok
	bot, _ := apiclient.New(w.ts.URL, apiclient.Options{Token: created.Secret})
	_, err = bot.ListTasks(ctx, apiclient.TaskFilter{}, "")
	keep(err)
	keep(carol.Logout(ctx))

	tasks, err := w.c.ListTasks(ctx, apiclient.TaskFilter{Limit: 1000}, "")
	if err != nil {
		t.Fatal(err)
	}
	keep(tasks)
	audit, err := w.c.ListAudit(ctx, apiclient.AuditFilter{Limit: 1000}, "")
	if err != nil {
		t.Fatal(err)
	}
	keep(audit)
	if b, _ := json.Marshal(audit); !strings.Contains(string(b), `"principal_name":"carol"`) {
		t.Errorf("the audit log does not show carol's requests: %s", b)
	}
	for _, path := range []string{"/api/v1/repositories", "/api/v1/sources", "/api/v1/tokens", "/api/v1/users"} {
		resp, err := w.c.Do(ctx, http.MethodGet, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		outputs = append(outputs, string(b))
	}
	outputs = append(outputs, w.ts.Stderr.String())
	if !strings.Contains(w.ts.Stderr.String(), "level=DEBUG") && !strings.Contains(w.ts.Stderr.String(), "http request") {
		t.Fatalf("the server logged nothing to grep:\n%s", w.ts.Stderr)
	}
	secret := created.Secret[strings.LastIndex(created.Secret, "_")+1:]
	session := sess.Token[strings.LastIndex(sess.Token, "_")+1:]
	for name, s := range map[string]string{"repository password": repoPassword, "wrong repository password": wrongRepoPassword,
		"user password": userPassword, "token secret": secret, "session secret": session} {
		for _, out := range outputs {
			if strings.Contains(out, s) {
				t.Errorf("the %s appears in the server's output: %.400s", name, out)
			}
		}
	}
}
