package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/testenv"
)

// backupWorld is a server with a registered repository and a place to
// restore into.
type backupWorld struct {
	ts       *testServer
	c        *apiclient.Client
	repo     serverapi.Repository
	restores string
}

// newBackupWorld starts a server and registers a repository: local, or on
// the test S3 server when s3 is set.
func newBackupWorld(t *testing.T, s3 bool, args ...string) *backupWorld {
	t.Helper()
	restores := t.TempDir()
	ts := startServer(t, serverSetup{args: append([]string{"--restore-root", restores, "--prune-delay", "1ms", "--allow-command-sources"}, args...)})
	w := &backupWorld{ts: ts, c: ts.Client, restores: restores}
	req := serverapi.RepositoryCreate{Name: "main", Kind: "local", Path: filepath.Join(t.TempDir(), "repo"), Password: "repo-pass-" + t.Name()}
	if s3 {
		cfg := testenv.S3(t)
		req = serverapi.RepositoryCreate{Name: "main", Kind: "s3", Endpoint: cfg.Endpoint, Bucket: bucketName(t), Insecure: true,
			AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey, Password: "repo-pass-" + t.Name()}
	}
	acc, err := w.c.CreateRepository(context.Background(), req)
	if err != nil {
		t.Fatalf("create repository: %v", err)
	}
	if task := w.wait(t, acc.Task.ID); task.State != "succeeded" {
		t.Fatalf("repository init task %s: %+v", task.State, task.Error)
	}
	if w.repo, err = w.c.GetRepository(context.Background(), acc.Repository.ID); err != nil || w.repo.RepoID == "" {
		t.Fatalf("repository after init: %+v, %v", w.repo, err)
	}
	return w
}

func bucketName(t *testing.T) string {
	return fmt.Sprintf("arca-e2e-%d", rand.Uint64())
}

func (w *backupWorld) wait(t *testing.T, id string) serverapi.Task {
	t.Helper()
	task, err := w.c.WaitTask(context.Background(), id)
	if err != nil {
		t.Fatalf("wait for task %s: %v", id, err)
	}
	return task
}

// fsSource creates a directory of files and an fs source for it.
func (w *backupWorld) fsSource(t *testing.T, name string, files map[string][]byte) serverapi.Source {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for p, b := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	settings, _ := json.Marshal(map[string]any{"paths": []string{dir}})
	src, err := w.c.CreateSource(context.Background(), serverapi.SourceCreate{Name: name, Kind: "fs", RepositoryID: w.repo.ID, Settings: settings})
	if err != nil {
		t.Fatalf("create source %s: %v", name, err)
	}
	return src
}

// commandSource creates a command source running sh -c script.
func (w *backupWorld) commandSource(t *testing.T, name, script string) serverapi.Source {
	t.Helper()
	settings, _ := json.Marshal(map[string]any{"command": []string{"sh", "-c", script}, "name": "out"})
	src, err := w.c.CreateSource(context.Background(), serverapi.SourceCreate{Name: name, Kind: "command", RepositoryID: w.repo.ID, Settings: settings, SkipProbe: true})
	if err != nil {
		t.Fatalf("create source %s: %v", name, err)
	}
	return src
}

func randomFiles(seed uint64, n, size int) map[string][]byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	files := map[string][]byte{}
	for i := range n {
		b := make([]byte, size+rng.IntN(size))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		files[fmt.Sprintf("d%d/f%d.bin", i%3, i)] = b
	}
	return files
}

func backupResult(t *testing.T, task serverapi.Task) serverapi.BackupResult {
	t.Helper()
	if task.State != "succeeded" {
		t.Fatalf("backup task %s ended %s: %+v", task.ID, task.State, task.Error)
	}
	var res serverapi.BackupResult
	if err := json.Unmarshal(task.Result, &res); err != nil || res.SnapshotID == "" {
		t.Fatalf("backup result %s: %v", task.Result, err)
	}
	return res
}

func TestBatchBackupRestoreLocal(t *testing.T) { testBatchBackupRestore(t, newBackupWorld(t, false)) }

func TestBatchBackupRestoreS3(t *testing.T) { testBatchBackupRestore(t, newBackupWorld(t, true)) }

func testBatchBackupRestore(t *testing.T, w *backupWorld) {
	ctx := context.Background()
	contents := map[string]map[string][]byte{}
	var ids []string
	for i, name := range []string{"alpha", "beta", "gamma"} {
		contents[name] = randomFiles(uint64(i+1), 6, 40<<10)
		ids = append(ids, w.fsSource(t, name, contents[name]).ID)
	}
	acc, err := w.c.BackupBatch(ctx, serverapi.BatchBackupRequest{SourceIDs: ids, Tags: []string{"nightly"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.Jobs) != 3 || acc.Location != "/api/v1/tasks/"+acc.Task.ID {
		t.Fatalf("batch answer: %+v", acc)
	}
	if parent := w.wait(t, acc.Task.ID); parent.State != "succeeded" {
		t.Fatalf("batch ended %s", parent.State)
	}
	snaps, err := w.c.AllSnapshots(ctx, apiclient.SnapshotFilter{Tag: "nightly"})
	if err != nil || len(snaps) != 3 {
		t.Fatalf("snapshots tagged nightly: %d, %v", len(snaps), err)
	}
	for i, job := range acc.Jobs {
		if job.SourceID != ids[i] {
			t.Errorf("job %d is for %s, want %s", i, job.SourceID, ids[i])
		}
		res := backupResult(t, w.wait(t, job.TaskID))
		name := []string{"alpha", "beta", "gamma"}[i]
		w.checkRestore(t, res.SnapshotID, name, contents[name])
	}
	w.checkBrowseAndDownload(t, backupResult(t, w.wait(t, acc.Jobs[0].TaskID)).SnapshotID, "alpha", contents["alpha"])
}

// checkRestore restores a snapshot of directory name and compares every file.
func (w *backupWorld) checkRestore(t *testing.T, snapshot, name string, files map[string][]byte) {
	t.Helper()
	target := filepath.Join(w.restores, name+"-"+snapshot[:8])
	acc, err := w.c.Restore(context.Background(), serverapi.RestoreRequest{SnapshotID: snapshot, Target: serverapi.RestoreTarget{Path: target}})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if task := w.wait(t, acc.Task.ID); task.State != "succeeded" {
		t.Fatalf("restore ended %s: %+v", task.State, task.Error)
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(target, name, p))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("restored %s/%s differs (%v)", name, p, err)
		}
	}
}

func (w *backupWorld) checkBrowseAndDownload(t *testing.T, snapshot, name string, files map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	list, err := w.c.SnapshotTree(ctx, snapshot[:12], name+"/d0")
	if err != nil {
		t.Fatalf("browse: %v", err)
	}
	var p string
	for _, e := range list.Entries {
		if e.Type == "file" {
			p = name + "/d0/" + e.Name
		}
	}
	want := files[strings.TrimPrefix(p, name+"/")]
	if p == "" || want == nil {
		t.Fatalf("browse listed %+v", list)
	}
	var buf bytes.Buffer
	if _, _, err := w.c.DownloadFile(ctx, snapshot, p, &buf, 0); err != nil || !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("download %s: %v, equal=%v", p, err, bytes.Equal(buf.Bytes(), want))
	}
	buf.Reset()
	if _, _, err := w.c.DownloadFile(ctx, snapshot, p, &buf, 1000); err != nil || !bytes.Equal(buf.Bytes(), want[1000:]) {
		t.Errorf("download %s from offset 1000: %v", p, err)
	}
	var tarball bytes.Buffer
	if _, err := w.c.DownloadArchive(ctx, snapshot, name, "tar", &tarball); err != nil || tarball.Len() < len(want) {
		t.Errorf("archive: %v (%d bytes)", err, tarball.Len())
	}
	if _, err := w.c.SnapshotTree(ctx, snapshot, "no/such/dir"); arca.ErrorCode(err) != arca.CodeNotFound {
		t.Errorf("browse of a missing path: %v, want NOT_FOUND", err)
	}
}
