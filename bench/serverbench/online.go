package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

// taskTiming is one task timed by the client, with the server's own
// timestamps to split it.
type taskTiming struct {
	sample               // POST sent → long poll answered with the final state; the server's CPU meanwhile
	queued time.Duration // created_at → started_at
	ran    time.Duration // started_at → ended_at
	task   serverapi.Task
}

func (t taskTiming) String() string {
	return fmt.Sprintf("%.3f s, CPU %.2f s (queued %.1f ms, ran %.3f s)", t.wall.Seconds(), t.cpu.Seconds(), ms(t.queued), t.ran.Seconds())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// addRepository registers a fresh local repository at path and waits for
// its init task; a structure verify then opens it into the server's pool
// of open repositories (keys unlocked, index loaded), as an earlier task
// on a running server would have.
func addRepository(ctx context.Context, cl *apiclient.Client, name, path string) (string, error) {
	if err := os.RemoveAll(path); err != nil {
		return "", err
	}
	a, err := cl.CreateRepository(ctx, serverapi.RepositoryCreate{Name: name, Kind: "local", Path: path, Password: password})
	if err != nil {
		return "", fmt.Errorf("register repository: %w", err)
	}
	if _, err := waitOK(ctx, cl, a.Task.ID); err != nil {
		return "", fmt.Errorf("init repository: %w", err)
	}
	v, err := cl.VerifyRepository(ctx, a.Repository.ID, serverapi.VerifyRequest{})
	if err != nil {
		return "", fmt.Errorf("verify (warm-up): %w", err)
	}
	if _, err := waitOK(ctx, cl, v.Task.ID); err != nil {
		return "", fmt.Errorf("verify (warm-up): %w", err)
	}
	return a.Repository.ID, nil
}

// removeRepository drops the registration and the repository's files.
func removeRepository(ctx context.Context, cl *apiclient.Client, id, path string) error {
	if err := cl.DeleteRepository(ctx, id); err != nil {
		return fmt.Errorf("delete repository: %w", err)
	}
	return os.RemoveAll(path)
}

func addSource(ctx context.Context, cl *apiclient.Client, name, repoID string, paths ...string) (string, error) {
	settings, err := json.Marshal(map[string]any{"paths": paths})
	if err != nil {
		return "", err
	}
	s, err := cl.CreateSource(ctx, serverapi.SourceCreate{Name: name, Kind: "fs", RepositoryID: repoID, Settings: settings})
	if err != nil {
		return "", fmt.Errorf("create source: %w", err)
	}
	return s.ID, nil
}

// backupSource times one backup: POST, then long polls until it ends.
func backupSource(ctx context.Context, srv *server, sourceID string) (taskTiming, error) {
	cl := srv.client
	cpu0 := srv.cpu()
	start := time.Now()
	a, err := cl.BackupSource(ctx, sourceID, serverapi.BackupRequest{})
	if err != nil {
		return taskTiming{}, fmt.Errorf("start backup: %w", err)
	}
	t, err := waitOK(ctx, cl, a.Task.ID)
	if err != nil {
		return taskTiming{}, err
	}
	tt := timing(start, t)
	tt.cpu = srv.cpu() - cpu0
	return tt, nil
}

func timing(start time.Time, t serverapi.Task) taskTiming {
	tt := taskTiming{sample: sample{wall: time.Since(start)}, task: t}
	if t.StartedAt != nil && t.EndedAt != nil {
		tt.queued = t.StartedAt.Sub(t.CreatedAt)
		tt.ran = t.EndedAt.Sub(*t.StartedAt)
	}
	return tt
}

// waitOK long polls a task (GET /tasks/{id}?wait=60s) until it ends and
// requires it to have succeeded.
func waitOK(ctx context.Context, cl *apiclient.Client, id string) (serverapi.Task, error) {
	t, err := cl.WaitTask(ctx, id)
	if err != nil {
		return t, err
	}
	if t.State != "succeeded" {
		msg := ""
		if t.Error != nil {
			msg = t.Error.Code + ": " + t.Error.Message
		}
		return t, fmt.Errorf("task %s (%s) ended %s: %s", id, t.Operation, t.State, msg)
	}
	return t, nil
}
