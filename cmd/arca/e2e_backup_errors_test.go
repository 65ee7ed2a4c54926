package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// slowScript writes mb MiB of random data, then sleeps while the marker
// file exists, so that a test can hold a backup running.
func slowScript(mb int, marker string) string {
	return fmt.Sprintf("head -c %dM /dev/urandom; while [ -f %s ]; do sleep 0.1; done", mb, marker)
}

func marker(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hold")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func verifyReport(t *testing.T, w *backupWorld) (ok bool, unindexed int) {
	t.Helper()
	acc, err := w.c.VerifyRepository(context.Background(), w.repo.ID, serverapi.VerifyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	task := w.wait(t, acc.Task.ID)
	var res struct {
		OK     bool `json:"ok"`
		Report struct {
			Unindexed []string `json:"unindexed_packs"`
		} `json:"report"`
	}
	if err := json.Unmarshal(task.Result, &res); err != nil {
		t.Fatalf("verify result %s: %v", task.Result, err)
	}
	return res.OK, len(res.Report.Unindexed)
}

func TestCancelBackupLeavesNoSnapshotAndPruneReclaims(t *testing.T) {
	w := newBackupWorld(t, false)
	ctx := context.Background()
	hold := marker(t)
	src := w.commandSource(t, "slow", slowScript(48, hold)) // more than the packers buffer (4 x 8 MiB)
	acc, err := w.c.BackupSource(ctx, src.ID, serverapi.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	watchUntil(t, w.c, acc.Task.ID, func(task serverapi.Task) bool { return task.Progress.BytesDone >= 40<<20 })

	// One backup per source at a time.
	_, err = w.c.BackupSource(ctx, src.ID, serverapi.BackupRequest{})
	wantCode(t, "second backup of a busy source", err, arca.CodeFeatureInUse)
	if !strings.Contains(fmt.Sprint(err), acc.Task.ID) {
		t.Errorf("FEATURE_IN_USE does not name the running task %s: %v", acc.Task.ID, err)
	}

	if _, err := w.c.CancelTask(ctx, acc.Task.ID); err != nil {
		t.Fatal(err)
	}
	if task := w.wait(t, acc.Task.ID); task.State != "canceled" {
		t.Fatalf("canceled backup ended %s", task.State)
	}
	snaps, err := w.c.AllSnapshots(ctx, apiclient.SnapshotFilter{SourceID: src.ID})
	if err != nil || len(snaps) != 0 {
		t.Fatalf("a canceled backup left %d snapshots (%v)", len(snaps), err)
	}
	if _, unindexed := verifyReport(t, w); unindexed == 0 {
		t.Fatal("the canceled backup left no packs behind: the prune check below proves nothing")
	}
	for range 2 { // mark, then sweep
		acc, err := w.c.PruneRepository(ctx, w.repo.ID, serverapi.PruneRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if task := w.wait(t, acc.Task.ID); task.State != "succeeded" {
			t.Fatalf("prune ended %s: %+v", task.State, task.Error)
		}
	}
	if ok, unindexed := verifyReport(t, w); !ok || unindexed != 0 {
		t.Errorf("after prune: ok=%v, %d unreferenced packs left", ok, unindexed)
	}
}

func TestBatchValidation(t *testing.T) {
	w := newBackupWorld(t, false)
	ctx := context.Background()
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = arca.NewID(time.Now())
	}
	_, err := w.c.BackupBatch(ctx, serverapi.BatchBackupRequest{SourceIDs: ids})
	wantCode(t, "101 ids", err, arca.CodeInvalidArgument)
	if !strings.Contains(fmt.Sprint(err), "at most 100") {
		t.Errorf("101 ids: the error does not name the limit: %v", err)
	}
	good := w.fsSource(t, "good", randomFiles(1, 1, 100)).ID
	_, err = w.c.BackupBatch(ctx, serverapi.BatchBackupRequest{SourceIDs: []string{good, good}})
	wantCode(t, "duplicate ids", err, arca.CodeInvalidArgument)
	unknown := arca.NewID(time.Now())
	_, err = w.c.BackupBatch(ctx, serverapi.BatchBackupRequest{SourceIDs: []string{good, unknown}})
	wantCode(t, "unknown id", err, arca.CodeInvalidArgument)
	if !strings.Contains(fmt.Sprint(err), unknown) {
		t.Errorf("unknown id: the error does not name it: %v", err)
	}
	tasks, err := w.c.ListTasks(ctx, apiclient.TaskFilter{Operation: "backup"}, "")
	if err != nil || len(tasks.Items) != 0 {
		t.Errorf("refused batches started %d backups (%v): want none", len(tasks.Items), err)
	}
}

func TestWrongRepositoryPassword(t *testing.T) {
	w := newBackupWorld(t, false)
	ctx := context.Background()
	acc, err := w.c.CreateRepository(ctx, serverapi.RepositoryCreate{Name: "again", Kind: "local", Path: w.repo.Path, Password: "not the password", Attach: true})
	if err != nil {
		t.Fatal(err)
	}
	task := w.wait(t, acc.Task.ID)
	if task.State != "failed" || task.Error == nil || task.Error.Code != string(arca.CodeUnauthenticated) || !strings.Contains(task.Error.Message, "password") {
		t.Fatalf("attach with a wrong password: %s %+v", task.State, task.Error)
	}
	if strings.Contains(w.ts.Stderr.String(), "not the password") {
		t.Error("the wrong password appears in the server's log")
	}
	_, err = w.c.GetRepository(ctx, acc.Repository.ID)
	wantCode(t, "registration after a failed attach", err, arca.CodeNotFound)
}

func TestRestoreTargetRefused(t *testing.T) {
	w := newBackupWorld(t, false)
	ctx := context.Background()
	src := w.fsSource(t, "data", randomFiles(3, 2, 1000))
	acc, err := w.c.BackupSource(ctx, src.ID, serverapi.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	snap := backupResult(t, w.wait(t, acc.Task.ID)).SnapshotID
	outside := t.TempDir()
	link := filepath.Join(w.restores, "link")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"outside the roots": outside,
		"dot-dot":           w.restores + "/../escape",
		"relative":          "relative/dir",
		"through a symlink": filepath.Join(link, "x"),
	} {
		_, err := w.c.Restore(ctx, serverapi.RestoreRequest{SnapshotID: snap, Target: serverapi.RestoreTarget{Path: target}})
		wantCode(t, name, err, arca.CodeInvalidArgument)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("a refused restore wrote %d entries outside the roots", len(entries))
	}

	// Only some paths: each lands at its own place under the target.
	sub := filepath.Join(w.restores, "part")
	acc, err = w.c.Restore(ctx, serverapi.RestoreRequest{SnapshotID: snap, Paths: []string{"data/d0"}, Target: serverapi.RestoreTarget{Path: sub}})
	if err != nil {
		t.Fatal(err)
	}
	if task := w.wait(t, acc.Task.ID); task.State != "succeeded" {
		t.Fatalf("partial restore: %s %+v", task.State, task.Error)
	}
	if _, err := os.Stat(filepath.Join(sub, "data", "d0", "f0.bin")); err != nil {
		t.Errorf("partial restore: %v", err)
	}
	if _, err := os.Stat(filepath.Join(sub, "data", "d1")); !os.IsNotExist(err) {
		t.Errorf("partial restore wrote an unselected directory (%v)", err)
	}
	acc, err = w.c.Restore(ctx, serverapi.RestoreRequest{SnapshotID: snap, Paths: []string{"data/nope"}, Target: serverapi.RestoreTarget{Path: sub}})
	if err != nil {
		t.Fatal(err)
	}
	if task := w.wait(t, acc.Task.ID); task.State != "failed" || task.Error == nil || task.Error.Code != string(arca.CodeInvalidArgument) {
		t.Errorf("restore of a missing path: %s %+v", task.State, task.Error)
	}
}

func TestKillServerMidBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	ctx := context.Background()
	data, token, restores := t.TempDir(), newToken(t), t.TempDir()
	proc, url := startServerProcess(t, data, token, "--restore-root", restores, "--allow-command-sources")
	c, err := apiclient.New(url, apiclient.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	w := &backupWorld{c: c, restores: restores}
	racc, err := c.CreateRepository(ctx, serverapi.RepositoryCreate{Name: "r", Kind: "local", Path: filepath.Join(t.TempDir(), "repo"), Password: "pw-kill"})
	if err != nil {
		t.Fatal(err)
	}
	if task := w.wait(t, racc.Task.ID); task.State != "succeeded" {
		t.Fatalf("init: %s %+v", task.State, task.Error)
	}
	w.repo = racc.Repository
	hold := marker(t)
	src := w.commandSource(t, "slow", slowScript(12, hold))
	acc, err := c.BackupSource(ctx, src.ID, serverapi.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	watchUntil(t, c, acc.Task.ID, func(task serverapi.Task) bool { return task.Progress.BytesDone >= 4<<20 })
	if err := proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}

	second := startServer(t, serverSetup{data: data, token: token, args: []string{"--restore-root", restores, "--allow-command-sources"}})
	w.c = second.Client
	task := w.wait(t, acc.Task.ID)
	if task.State != "failed" || task.Error == nil || task.Error.Code != string(arca.CodeInterrupted) {
		t.Fatalf("the killed backup after restart: %s %+v; want failed INTERRUPTED", task.State, task.Error)
	}
	snaps, err := w.c.AllSnapshots(ctx, apiclient.SnapshotFilter{SourceID: src.ID})
	if err != nil || len(snaps) != 0 {
		t.Fatalf("the killed backup left %d snapshots (%v)", len(snaps), err)
	}
	again, err := w.c.BackupSource(ctx, src.ID, serverapi.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	backupResult(t, w.wait(t, again.Task.ID))
}

func TestCreateRepositoryIdempotent(t *testing.T) {
	ts := startServer(t, serverSetup{})
	ctx := context.Background()
	req := serverapi.RepositoryCreate{Name: "once", Kind: "local", Path: filepath.Join(t.TempDir(), "repo"), Password: "pw-idem"}
	first, err := ts.Client.CreateRepository(ctx, req, apiclient.IdempotencyKey("k-1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := ts.Client.CreateRepository(ctx, req, apiclient.IdempotencyKey("k-1"))
	if err != nil {
		t.Fatalf("retry with the same key: %v", err)
	}
	if again.Repository.ID != first.Repository.ID || again.Task.ID != first.Task.ID || !again.Replayed {
		t.Errorf("retry: repository %s task %s replayed %v; want %s %s true", again.Repository.ID, again.Task.ID, again.Replayed, first.Repository.ID, first.Task.ID)
	}
	req.Path = filepath.Join(t.TempDir(), "other")
	_, err = ts.Client.CreateRepository(ctx, req, apiclient.IdempotencyKey("k-1"))
	wantCode(t, "same key, other body", err, arca.CodeIdempotencyKeyReused)
	_, err = ts.Client.CreateRepository(ctx, req)
	wantCode(t, "same name, no key", err, arca.CodeAlreadyExists)
}

// TestAttachRebuildsSnapshotList: the catalog's snapshot list is a cache
// of the repository; attaching a repository rebuilds it from the
// repository alone.
func TestAttachRebuildsSnapshotList(t *testing.T) {
	w := newBackupWorld(t, false)
	ctx := context.Background()
	src := w.fsSource(t, "data", randomFiles(5, 2, 1000))
	for range 2 {
		acc, err := w.c.BackupSource(ctx, src.ID, serverapi.BackupRequest{Tags: []string{"t"}})
		if err != nil {
			t.Fatal(err)
		}
		backupResult(t, w.wait(t, acc.Task.ID))
	}
	other := startServer(t, serverSetup{}) // a new server, an empty catalog
	acc, err := other.Client.CreateRepository(ctx, serverapi.RepositoryCreate{Name: "found", Kind: "local", Path: w.repo.Path, Password: "repo-pass-" + t.Name(), Attach: true})
	if err != nil {
		t.Fatal(err)
	}
	task, err := other.Client.WaitTask(ctx, acc.Task.ID)
	if err != nil || task.State != "succeeded" {
		t.Fatalf("attach: %v %s %+v", err, task.State, task.Error)
	}
	snaps, err := other.Client.AllSnapshots(ctx, apiclient.SnapshotFilter{RepositoryID: acc.Repository.ID, Tag: "t"})
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots after attach: %d (%v), want 2", len(snaps), err)
	}
	if snaps[0].SourceID != src.ID || snaps[0].Stats == nil || snaps[0].TaskID == "" {
		t.Errorf("rebuilt snapshot lacks its source, stats or task: %+v", snaps[0])
	}
}

// TestPruneBesideRunningBackup: a prune runs while a backup writes into the
// same repository; neither fails, and the repository checks out.
func TestPruneBesideRunningBackup(t *testing.T) {
	w := newBackupWorld(t, false)
	ctx := context.Background()
	old := w.fsSource(t, "old", randomFiles(6, 3, 20_000))
	for range 2 {
		acc, err := w.c.BackupSource(ctx, old.ID, serverapi.BackupRequest{})
		if err != nil {
			t.Fatal(err)
		}
		backupResult(t, w.wait(t, acc.Task.ID))
	}
	hold := marker(t)
	slow := w.commandSource(t, "slow", slowScript(40, hold))
	acc, err := w.c.BackupSource(ctx, slow.ID, serverapi.BackupRequest{})
	if err != nil {
		t.Fatal(err)
	}
	watchUntil(t, w.c, acc.Task.ID, func(task serverapi.Task) bool { return task.Progress.BytesDone >= 32<<20 })
	for range 2 { // mark, then sweep, while the backup runs
		pacc, err := w.c.PruneRepository(ctx, w.repo.ID, serverapi.PruneRequest{Policy: &serverapi.Policy{Last: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if task := w.wait(t, pacc.Task.ID); task.State != "succeeded" {
			t.Fatalf("prune beside a backup: %s %+v", task.State, task.Error)
		}
	}
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	backupResult(t, w.wait(t, acc.Task.ID))
	if ok, _ := verifyReport(t, w); !ok {
		t.Error("the repository does not check out after a prune beside a backup")
	}
	snaps, err := w.c.AllSnapshots(ctx, apiclient.SnapshotFilter{SourceID: old.ID})
	if err != nil || len(snaps) != 1 {
		t.Errorf("keep-last 1 left %d snapshots of the old source (%v)", len(snaps), err)
	}
}
