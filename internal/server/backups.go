package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/task"
)

type backupInput struct {
	ID string `path:"id" maxLength:"64" doc:"Source id."`
	StartHeaders
	Body serverapi.BackupRequest
}

type batchInput struct {
	StartHeaders
	Body serverapi.BatchBackupRequest
}

type batchOutput struct {
	Location string `header:"Location" doc:"Path of the batch task."`
	Replayed string `header:"Idempotent-Replayed"`
	Body     serverapi.BatchBackupResponse
}

type restoreInput struct {
	StartHeaders
	Body serverapi.RestoreRequest
}

func (s *Server) backupRoutes() {
	register(s, huma.Operation{OperationID: "backup-source", Method: http.MethodPost, Path: "/api/v1/sources/{id}/backup",
		Summary: "Back up one source", Description: "One backup or restore per source at a time: a second answers 409 FEATURE_IN_USE naming the running task.",
		Tags: []string{"backups"}, DefaultStatus: http.StatusAccepted}, auth.ActionBackupRun, s.backupSource)
	register(s, huma.Operation{OperationID: "backup-batch", Method: http.MethodPost, Path: "/api/v1/backups",
		Summary: "Back up up to 100 sources in one call", Description: "Validated all or nothing; answers one batch task and one job per source.",
		Tags: []string{"backups"}, DefaultStatus: http.StatusAccepted}, auth.ActionBackupRun, s.backupBatch)
	register(s, huma.Operation{OperationID: "restore", Method: http.MethodPost, Path: "/api/v1/restores",
		Summary: "Restore a snapshot", Description: "Files go into a directory under one of the server's restore roots; database and command snapshots go where the target options say.",
		Tags: []string{"restores"}, DefaultStatus: http.StatusAccepted}, auth.ActionRestoreRun, s.restore)
}

func backupParams(b serverapi.BackupRequest) ops.BackupParams {
	return ops.BackupParams{Tags: b.Tags, CopyOnly: b.CopyOnly, Level: source.Level(b.Level)}
}

func (s *Server) backupSource(ctx context.Context, in *backupInput) (*AcceptedOutput, error) {
	src, err := s.loadSource(ctx, in.ID, auth.ActionBackupRun)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	spec, err := ops.BackupSpec(src, backupParams(in.Body))
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.StartTask(ctx, in.StartHeaders, spec, in.Body)
}

func (s *Server) backupBatch(ctx context.Context, in *batchInput) (*batchOutput, error) {
	b := in.Body
	if err := ops.CheckBatch(b.SourceIDs); err != nil {
		return nil, s.fail(ctx, err)
	}
	params := backupParams(serverapi.BackupRequest{Tags: b.Tags, CopyOnly: b.CopyOnly, Level: b.Level})
	children, err := s.batchJobs(ctx, b.SourceIDs, params)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	parent := task.Spec{Tenant: p.Tenant, Operation: ops.OpBackupBatch, Target: arca.Target{Type: "batch", ID: fmt.Sprintf("%d sources", len(children))},
		CreatedBy: p.Kind + ":" + p.ID, RequestID: RequestID(ctx)}
	if in.IdempotencyKey != "" {
		hash, err := RequestHash(ops.OpBackupBatch, b)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		parent.IdempotencyKey, parent.RequestHash = in.IdempotencyKey, hash
	}
	t, kids, replayed, err := s.opts.Tasks.SubmitBatch(ctx, parent, children)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &batchOutput{Location: "/api/v1/tasks/" + t.ID, Body: serverapi.BatchBackupResponse{Task: wireTask(t), Jobs: make([]serverapi.BatchJob, 0, len(kids))}}
	for _, k := range kids {
		out.Body.Jobs = append(out.Body.Jobs, serverapi.BatchJob{SourceID: k.Target.ID, TaskID: k.ID})
	}
	if replayed {
		out.Replayed = "true"
	}
	return out, nil
}

// batchJobs resolves every id of a batch, naming each one that is unknown
// (or hidden) or busy, before anything is created: all or nothing.
func (s *Server) batchJobs(ctx context.Context, ids []string, params ops.BackupParams) ([]task.Spec, error) {
	var fields []arca.FieldError
	specs := make([]task.Spec, 0, len(ids))
	for i, id := range ids {
		src, err := s.loadSource(ctx, id, auth.ActionBackupRun)
		if err != nil {
			var ae *arca.Error
			if errors.As(err, &ae) && ae.Code == arca.CodeNotFound {
				fields = append(fields, arca.FieldError{Field: fmt.Sprintf("source_ids[%d]", i), Message: fmt.Sprintf("no source %q", id)})
				continue
			}
			return nil, err
		}
		spec, err := ops.BackupSpec(src, params)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	if len(fields) > 0 {
		return nil, &arca.Error{Code: arca.CodeInvalidArgument, Fields: fields,
			Message: fmt.Sprintf("The batch names %d unknown source(s), first %s: %s. Nothing was started.", len(fields), fields[0].Field, fields[0].Message)}
	}
	return specs, nil
}

func (s *Server) restore(ctx context.Context, in *restoreInput) (*AcceptedOutput, error) {
	b := in.Body
	snap, err := s.loadSnapshot(ctx, b.SnapshotID, auth.ActionRestoreRun)
	if err != nil {
		var ae *arca.Error
		if errors.As(err, &ae) && ae.Code == arca.CodeNotFound {
			err = invalidField("snapshot_id", "No snapshot %q.", b.SnapshotID)
		}
		return nil, s.fail(ctx, err)
	}
	spec, err := s.opts.Ops.RestoreSpec(snap, ops.RestoreParams{Paths: append([]string(nil), b.Paths...),
		Target: ops.RestoreTarget{Path: b.Target.Path, Options: b.Target.Options}, Overwrite: b.Overwrite})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return s.StartTask(ctx, in.StartHeaders, spec, b)
}
