package apiclient

import (
	"context"
	"net/http"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// BackupSource starts a backup of one source. A backup or restore of the
// source already running gets FEATURE_IN_USE, whose details name its task.
func (c *Client) BackupSource(ctx context.Context, sourceID string, req serverapi.BackupRequest, opts ...CallOption) (Accepted, error) {
	if err := arca.CheckID("source", sourceID); err != nil {
		return Accepted{}, err
	}
	return c.startTask(ctx, "/api/v1/sources/"+sourceID+"/backup", req, opts)
}

// BatchAccepted answers a batch backup: the parent task, one job per
// source, and the headers of the answer.
type BatchAccepted struct {
	Jobs []serverapi.BatchJob
	Accepted
}

// BackupBatch starts a backup of up to 100 sources at once: one parent
// task, whose state derives from its jobs, and one job per source. The
// server checks every id before it starts anything.
func (c *Client) BackupBatch(ctx context.Context, req serverapi.BatchBackupRequest, opts ...CallOption) (BatchAccepted, error) {
	var out serverapi.BatchBackupResponse
	resp, err := c.call(ctx, http.MethodPost, "/api/v1/backups", req, &out, opts...)
	if err != nil {
		return BatchAccepted{}, err
	}
	return BatchAccepted{Jobs: out.Jobs, Accepted: accepted(resp, out.Task)}, nil
}

// Restore starts a restore of a snapshot (POST /api/v1/restores).
func (c *Client) Restore(ctx context.Context, req serverapi.RestoreRequest, opts ...CallOption) (Accepted, error) {
	return c.startTask(ctx, "/api/v1/restores", req, opts)
}
