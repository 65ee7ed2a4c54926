package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
	"github.com/arcabackup/arca/internal/task"
)

// StartHeaders are the headers of every POST that starts work. Embed it in
// the input of such routes.
type StartHeaders struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the call safe to retry: the same key and body return the same task; the same key with another body is refused (422)."`
}

// AcceptedOutput is the answer of every call that starts a task: 202
// Accepted, Location of the task, the task as body.
type AcceptedOutput struct {
	Location string `header:"Location" doc:"Path of the task: poll it, or stream its events."`
	Replayed string `header:"Idempotent-Replayed" doc:"\"true\" when an earlier call with the same Idempotency-Key created the task."`
	Body     serverapi.Task
}

// StartTask submits spec on behalf of the caller and answers 202 with the
// task: the helper every route that starts work uses. body is the decoded
// request; with an Idempotency-Key its canonical form and the operation
// identify the request.
func (s *Server) StartTask(ctx context.Context, h StartHeaders, spec task.Spec, body any) (*AcceptedOutput, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if spec.Tenant == "" {
		spec.Tenant = p.Tenant
	}
	spec.CreatedBy, spec.RequestID = p.Kind+":"+p.ID, RequestID(ctx)
	if h.IdempotencyKey != "" {
		hash, err := RequestHash(spec.Operation, body)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		spec.IdempotencyKey, spec.RequestHash = h.IdempotencyKey, hash
	}
	t, replayed, err := s.opts.Tasks.Submit(ctx, spec)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &AcceptedOutput{Location: "/api/v1/tasks/" + t.ID, Body: wireTask(t)}
	if replayed {
		out.Replayed = "true"
	}
	return out, nil
}

// RequestHash identifies a request for idempotency: SHA-256 of the
// operation and the canonical JSON of the decoded body (struct fields in
// declaration order, defaults applied), so that spacing, key order and
// spelled-out defaults do not make two equal requests differ.
func RequestHash(op arca.Operation, body any) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("encode request for idempotency: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(op))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}
