package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/pruner"
	"github.com/arcabackup/arca/internal/serverapi"
)

// outcomeLine is the one line that says how a followed task ended: its
// state, and the gist of its result or its error.
func outcomeLine(label string, t serverapi.Task) string {
	s := fmt.Sprintf("%s: %s %s", label, t.Operation, t.State)
	if t.Error != nil {
		s += fmt.Sprintf(": %s (%s)", t.Error.Message, t.Error.Code)
	}
	if r := resultSummary(t); r != "" {
		s += ", " + r
	}
	if len(t.Warnings) > 0 {
		s += fmt.Sprintf(" (%d warnings: arca task get %s)", len(t.Warnings), t.ID)
	}
	return s
}

// resultSummary renders the gist of a task's result, by its type; "" for
// none or a type it does not know.
func resultSummary(t serverapi.Task) string {
	if len(t.Result) == 0 {
		return ""
	}
	switch t.ResultType {
	case "backup":
		var r ops.BackupResult
		if json.Unmarshal(t.Result, &r) != nil {
			return ""
		}
		st := r.Stats
		return fmt.Sprintf("snapshot %s: %d files, %s (%s new, %s stored)", short(r.SnapshotID), st.Files,
			humanBytes(int64(st.TotalBytes)), humanBytes(int64(st.BytesAdded)), humanBytes(int64(st.BytesStored)))
	case "restore":
		return restoreSummary(t.Result)
	case "verify":
		var r ops.VerifyResult
		if json.Unmarshal(t.Result, &r) != nil || r.Report == nil {
			return ""
		}
		verdict := "no damage found"
		if !r.OK {
			verdict = fmt.Sprintf("DAMAGE FOUND: %d missing packs, %d damaged packs, %d damaged blobs (arca task get %s --json)",
				len(r.Report.MissingPacks), len(r.Report.DamagedPacks), len(r.Report.DamagedBlobs), t.ID)
		}
		return fmt.Sprintf("%d snapshots, %d packs (%d read, %s): %s", r.Report.Snapshots, r.Report.Packs,
			r.Report.PacksRead, humanBytes(r.Report.BytesRead), verdict)
	case "prune":
		return pruneSummary(t.Result)
	case "snapshot.forget":
		var r pruner.ForgetReport
		if json.Unmarshal(t.Result, &r) != nil {
			return ""
		}
		return fmt.Sprintf("forgot %d snapshots", len(r.Removed))
	case "snapshot.sync":
		var r ops.SyncResult
		if json.Unmarshal(t.Result, &r) != nil {
			return ""
		}
		return fmt.Sprintf("%d snapshots", r.Snapshots)
	case "repository.init":
		var r ops.RepositoryInitResult
		if json.Unmarshal(t.Result, &r) != nil {
			return ""
		}
		how := "attached"
		if r.Initialised {
			how = "initialised"
		}
		return fmt.Sprintf("repository %s %s, %d snapshots", short(r.RepoID), how, r.Snapshots)
	}
	return ""
}

func restoreSummary(raw json.RawMessage) string {
	var r ops.RestoreResult
	if json.Unmarshal(raw, &r) != nil || r.Files == nil {
		return ""
	}
	f := r.Files
	s := fmt.Sprintf("%d files, %s into %s", f.Files, humanBytes(int64(f.Bytes)), r.Target)
	if f.Skipped > 0 {
		s += fmt.Sprintf(", %d existing kept", f.Skipped)
	}
	if f.FailureCount > 0 {
		s += fmt.Sprintf(", %d FAILED", f.FailureCount)
	}
	return s
}

func pruneSummary(raw json.RawMessage) string {
	var r ops.PruneResult
	if json.Unmarshal(raw, &r) != nil {
		return ""
	}
	var parts []string
	if r.Forget != nil {
		verb := "forgot"
		if r.Forget.DryRun {
			verb = "would forget"
		}
		parts = append(parts, fmt.Sprintf("%s %d snapshots", verb, len(r.Forget.Removed)))
	}
	if p := r.Prune; p != nil {
		verb := "freed"
		if p.DryRun {
			verb = "would free"
		}
		parts = append(parts, fmt.Sprintf("%s %s (%d packs), marked %d unused packs (%s)", verb, humanBytes(p.BytesFreed),
			p.PacksDeleted, p.PacksMarked, humanBytes(p.BytesMarked)))
	}
	return strings.Join(parts, "; ")
}

// short is the 8-digit form of a snapshot or repository id.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
