package catalog

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arcabackup/arca/internal/arca"
)

// The rules below are shared by the drivers so that both check the same
// things and say them in the same words. They are pure: no SQL.

// DefaultListLimit and MaxListLimit bound TaskFilter.Limit.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// ListLimit returns the number of rows a ListTasks call returns at most.
func ListLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultListLimit
	case n > MaxListLimit:
		return MaxListLimit
	}
	return n
}

// DBTime returns t as the catalog stores it: UTC, truncated to the
// microsecond (PostgreSQL's precision), so both drivers return the same value.
func DBTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// PrepareCreate validates c and returns the task to insert, with its
// defaults filled in: a new id when ID is empty, the default tenant, the
// creation time (now when CreatedAt is zero), UpdatedAt and Attempt 0. State
// is left for the driver to decide.
func PrepareCreate(c CreateTask, now time.Time) (arca.Task, error) {
	t := c.Task
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	t.CreatedAt = DBTime(t.CreatedAt)
	t.UpdatedAt = t.CreatedAt
	if t.ID == "" {
		t.ID = arca.NewID(t.CreatedAt)
	}
	if t.Tenant == "" {
		t.Tenant = arca.DefaultTenant
	}
	if err := arca.CheckID("task", t.ID); err != nil {
		return arca.Task{}, err
	}
	if t.Parent != "" {
		if err := arca.CheckID("parent task", t.Parent); err != nil {
			return arca.Task{}, err
		}
	}
	if t.Operation == "" {
		return arca.Task{}, invalid("operation", "A task needs an operation, for example \"backup\".")
	}
	if err := checkText(map[string]string{"tenant": t.Tenant, "operation": string(t.Operation),
		"target.type": t.Target.Type, "target.id": t.Target.ID, "created_by": t.CreatedBy,
		"request_id": t.RequestID, "exclusive_key": t.ExclusiveKey, "idempotency_key": c.IdempotencyKey,
		"request_hash": c.RequestHash}); err != nil {
		return arca.Task{}, err
	}
	if len(t.Params) > 0 && !json.Valid(t.Params) {
		return arca.Task{}, invalid("params", "The task parameters are not valid JSON.")
	}
	if c.IdempotencyKey == "" && c.RequestHash != "" {
		return arca.Task{}, invalid("request_hash", "A request hash is only meaningful with an idempotency key.")
	}
	t.State, t.BlockedReason, t.Attempt = "", "", 0
	t.StartedAt, t.EndedAt, t.LeaseUntil, t.Worker = nil, nil, nil, ""
	t.Result, t.ResultType, t.Error, t.Warnings, t.CancelRequested = nil, "", nil, nil, false
	return t, nil
}

// CheckFinish validates the outcome a worker records.
func CheckFinish(f Finish) error {
	if !f.State.IsFinal() {
		return invalid("state", fmt.Sprintf("A task can only finish in a terminal state, not %q.", f.State))
	}
	if len(f.Result) > 0 && !json.Valid(f.Result) {
		return invalid("result", "The task result is not valid JSON.")
	}
	return nil
}

// checkText refuses text that is not valid UTF-8 or holds a NUL byte: both
// drivers must store it alike, and PostgreSQL's text cannot hold either.
func checkText(fields map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v := fields[name]
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return invalid(name, fmt.Sprintf("The %s is not valid UTF-8 text.", name))
		}
	}
	return nil
}

func invalid(field, msg string) error {
	return &arca.Error{Code: arca.CodeInvalidArgument, Message: msg,
		Fields: []arca.FieldError{{Field: field, Message: msg}}}
}

// TaskNotFound is the error for a task id that does not exist.
func TaskNotFound(id string) error {
	return arca.Errorf(arca.CodeNotFound, "task %q not found", id)
}

// TokenNotFound is the error for an API token id that does not exist.
func TokenNotFound(id string) error {
	return arca.Errorf(arca.CodeNotFound, "API token %q not found", id)
}

// TokenExists is the error for an API token id that is already taken.
func TokenExists(id string) error {
	return arca.Errorf(arca.CodeAlreadyExists, "API token %q already exists", id)
}

// TaskExists is the error for a task id that is already taken.
func TaskExists(id string) error {
	return arca.Errorf(arca.CodeAlreadyExists, "task %q already exists", id)
}

// ParentNotFound is the error for a task created under a missing parent.
func ParentNotFound(id string) error {
	return &arca.Error{Code: arca.CodeNotFound,
		Message: fmt.Sprintf("parent task %q not found", id),
		Fields:  []arca.FieldError{{Field: "parent", Message: "no such task"}}}
}

// KeyInUse is the FEATURE_IN_USE error for a task refused because another
// task holds its exclusivity key.
func KeyInUse(key, holderID string, holderOp arca.Operation) error {
	return &arca.Error{Code: arca.CodeFeatureInUse,
		Message: fmt.Sprintf("Task %s (%s) is already working on %q: wait for it to end or cancel it, then try again.",
			holderID, holderOp, key),
		Details: map[string]string{"task_id": holderID}}
}

// BlockedReason says what a task created blocked waits for.
func BlockedReason(key, holderID string, holderOp arca.Operation) string {
	return fmt.Sprintf("waiting for task %s (%s) to release %q", holderID, holderOp, key)
}

// IdempotencyKeyReused is the error for an idempotency key sent again with a
// different request.
func IdempotencyKeyReused(key, taskID string) error {
	return &arca.Error{Code: arca.CodeIdempotencyKeyReused,
		Message: fmt.Sprintf("The idempotency key %q was already used for a different request (task %s): "+
			"send the same request again, or use a new key.", key, taskID),
		Details: map[string]string{"task_id": taskID}}
}

// NotAllowed is the NOT_ALLOWED_IN_CURRENT_STATE error for an action on a
// task in a state that does not permit it.
func NotAllowed(id string, state arca.TaskState, action string) error {
	if state.IsFinal() {
		return arca.Errorf(arca.CodeNotAllowedInState, "Task %s has already ended (%s): it cannot %s.", id, state, action)
	}
	return arca.Errorf(arca.CodeNotAllowedInState, "Task %s is %s: it cannot %s.", id, state, action)
}

// NotHolder is the error for a worker acting on a task another worker (or no
// worker) holds.
func NotHolder(id, worker, holder string) error {
	if holder == "" {
		return arca.Errorf(arca.CodeNotAllowedInState, "Task %s is not held by worker %q: no worker holds it.", id, worker)
	}
	return arca.Errorf(arca.CodeNotAllowedInState, "Task %s is not held by worker %q but by %q.", id, worker, holder)
}

// LeaseHeld is the error for requeueing a task whose lease has not expired.
func LeaseHeld(id, worker string, until time.Time) error {
	return arca.Errorf(arca.CodeNotAllowedInState,
		"Task %s is still held by worker %q until %s: only a task whose lease expired can be requeued.",
		id, worker, until.UTC().Format(time.RFC3339Nano))
}

// TerminalStates lists the terminal states, for SQL IN lists.
func TerminalStates() []arca.TaskState {
	return []arca.TaskState{arca.TaskSucceeded, arca.TaskPartiallySucceeded, arca.TaskFailed, arca.TaskCanceled}
}

// PrepareToken validates a token to store and fills in its defaults: the
// default tenant, no roles rather than nil, CreatedAt = now when zero, an
// empty (not nil) secret hash.
func PrepareToken(t arca.APIToken, now time.Time) (arca.APIToken, error) {
	if t.ID == "" {
		return arca.APIToken{}, invalid("id", "An API token needs an id.")
	}
	if err := checkText(map[string]string{"id": t.ID, "tenant": t.Tenant, "name": t.Name}); err != nil {
		return arca.APIToken{}, err
	}
	if t.Tenant == "" {
		t.Tenant = arca.DefaultTenant
	}
	if t.Roles == nil {
		t.Roles = []arca.Role{}
	}
	if t.SecretHash == nil {
		t.SecretHash = []byte{}
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	return t, nil
}
