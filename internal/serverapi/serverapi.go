// Package serverapi holds the JSON wire types of Arca's native HTTP API,
// shared by the server (internal/server) and the Go client
// (internal/apiclient). They are separate from the domain types in
// internal/arca: the wire format is a published contract that changes only
// compatibly, while domain structs are free to change. The server converts
// between the two.
package serverapi

import (
	"encoding/json"
	"time"
)

// Target is the resource a task works on.
type Target struct {
	Type string `json:"type" doc:"Kind of resource, for example \"source\" or \"repository\"."`
	ID   string `json:"id" doc:"Identifier of the resource."`
}

// Progress is a task's live progress.
type Progress struct {
	Percent    float64 `json:"percent" doc:"Done, 0 to 100; never goes back."`
	Phase      string  `json:"phase,omitempty" doc:"What the task is doing now."`
	BytesDone  int64   `json:"bytes_done,omitempty"`
	BytesTotal int64   `json:"bytes_total,omitempty"`
	ItemsDone  int64   `json:"items_done,omitempty"`
	ItemsTotal int64   `json:"items_total,omitempty"`
	ETASeconds float64 `json:"eta_seconds,omitempty" doc:"Estimated seconds left; absent when unknown."`
}

// TaskError is the structured error of a failed task.
type TaskError struct {
	Code    string            `json:"code" doc:"Stable error code, for example INTERRUPTED."`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

// Task is one asynchronous operation. A task's input parameters are not part
// of the wire form: they may hold secrets.
type Task struct {
	ID              string          `json:"id" doc:"Time-sortable task id (UUIDv7)."`
	Tenant          string          `json:"tenant"`
	Operation       string          `json:"operation" doc:"What the task does, for example \"backup\"."`
	Target          Target          `json:"target"`
	Parent          string          `json:"parent,omitempty" doc:"Id of the batch task this task is a job of."`
	State           string          `json:"state" enum:"queued,blocked,running,canceling,succeeded,partially_succeeded,failed,canceled"`
	BlockedReason   string          `json:"blocked_reason,omitempty"`
	Progress        Progress        `json:"progress"`
	Cancelable      bool            `json:"cancelable"`
	CancelRequested bool            `json:"cancel_requested,omitempty"`
	CreatedBy       string          `json:"created_by,omitempty"`
	RequestID       string          `json:"request_id,omitempty" doc:"Request id of the call that created the task."`
	Attempt         int             `json:"attempt" doc:"How many times a worker has started the task."`
	CreatedAt       time.Time       `json:"created_at"`
	StartedAt       *time.Time      `json:"started_at,omitempty"`
	EndedAt         *time.Time      `json:"ended_at,omitempty"`
	UpdatedAt       time.Time       `json:"updated_at"`
	Result          json.RawMessage `json:"result,omitempty" doc:"The outcome of a successful task; its shape is named by result_type."`
	ResultType      string          `json:"result_type,omitempty"`
	Error           *TaskError      `json:"error,omitempty"`
	Warnings        []string        `json:"warnings,omitempty"`
}

// Final reports whether the task has reached a terminal state.
func (t Task) Final() bool {
	switch t.State {
	case "succeeded", "partially_succeeded", "failed", "canceled":
		return true
	}
	return false
}

// TaskList is one page of tasks, newest first.
type TaskList struct {
	Items []Task `json:"items" nullable:"false"`
	// NextCursor, when set, fetches the next page (pass it as ?cursor=).
	NextCursor string `json:"next_cursor,omitempty"`
}

// FieldError names one bad field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem document: every error the API returns.
type Problem struct {
	Type      string            `json:"type" doc:"URI naming the problem type: urn:arca:problem:<code in lower case>."`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty" doc:"A sentence saying what was wrong and what to change."`
	Code      string            `json:"code" doc:"Stable error code clients branch on."`
	RequestID string            `json:"request_id,omitempty"`
	Errors    []FieldError      `json:"errors,omitempty"`
	TaskID    string            `json:"task_id,omitempty" doc:"The task the problem is about, for example the one holding a lock."`
	Link      string            `json:"link,omitempty" doc:"API path of the task named by task_id."`
	Details   map[string]string `json:"details,omitempty"`
}

// SelftestRequest starts the built-in selftest operation: a task that runs
// for a while reporting progress, for checking a deployment end to end.
type SelftestRequest struct {
	DurationMS int  `json:"duration_ms,omitempty" minimum:"0" maximum:"3600000" doc:"How long the task runs, in milliseconds."`
	Steps      int  `json:"steps,omitempty" minimum:"0" maximum:"10000" doc:"How many progress updates it reports."`
	Fail       bool `json:"fail,omitempty" doc:"End failed instead of succeeded."`
}

// Principal is who the caller is.
type Principal struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind" doc:"\"token\" or \"user\"."`
	Name   string   `json:"name"`
	Tenant string   `json:"tenant"`
	Roles  []string `json:"roles"`
}

// Health is the answer of /healthz and /readyz.
type Health struct {
	Status string `json:"status" doc:"\"ok\" or \"unavailable\"."`
}

// Header names of the API.
const (
	HeaderRequestID      = "X-Request-ID"
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderReplayed       = "Idempotent-Replayed"
	HeaderLastEventID    = "Last-Event-ID"
)
