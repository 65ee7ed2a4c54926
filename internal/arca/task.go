package arca

import (
	"encoding/json"
	"time"
)

// TaskState is where a task is in its life. The task engine is the only code
// that moves a task from one state to another.
type TaskState string

const (
	// TaskQueued: set at creation (or by a rescue that re-queues a task
	// whose handler can resume). Left when a worker claims the task
	// (running), when it is canceled, or for blocked.
	TaskQueued TaskState = "queued"
	// TaskBlocked: waiting for an exclusivity key another task holds, or for
	// a resource; BlockedReason says which. The engine queues it again when
	// the key is released.
	TaskBlocked TaskState = "blocked"
	// TaskRunning: a worker holds the task under a lease it renews by
	// heartbeat. Left for a terminal state, for canceling, or for queued when
	// an expired lease is rescued and the handler can resume.
	TaskRunning TaskState = "running"
	// TaskCanceling: a cancel was requested for a running task; its handler's
	// context is canceled and the task ends canceled (or, if it finished its
	// work first, in the state its handler reached).
	TaskCanceling TaskState = "canceling"
	// TaskSucceeded is terminal: the handler returned a result.
	TaskSucceeded TaskState = "succeeded"
	// TaskPartiallySucceeded is terminal: some of the work failed (a batch
	// whose children had mixed outcomes, or a handler that reported it).
	TaskPartiallySucceeded TaskState = "partially_succeeded"
	// TaskFailed is terminal: Error says why.
	TaskFailed TaskState = "failed"
	// TaskCanceled is terminal: canceled before or while running.
	TaskCanceled TaskState = "canceled"
)

// TaskStates lists every state, in life order.
var TaskStates = []TaskState{TaskQueued, TaskBlocked, TaskRunning, TaskCanceling,
	TaskSucceeded, TaskPartiallySucceeded, TaskFailed, TaskCanceled}

// IsFinal reports whether s is terminal. Terminal states never change.
func (s TaskState) IsFinal() bool {
	switch s {
	case TaskSucceeded, TaskPartiallySucceeded, TaskFailed, TaskCanceled:
		return true
	}
	return false
}

// Valid reports whether s is one of the known states.
func (s TaskState) Valid() bool {
	for _, v := range TaskStates {
		if s == v {
			return true
		}
	}
	return false
}

// Operation names what a task does, for example "backup" or "prune".
type Operation string

// Target is the resource a task works on.
type Target struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Progress is a task's live progress. Percent never goes back.
type Progress struct {
	Percent    float64 `json:"percent"`
	Phase      string  `json:"phase,omitempty"`
	BytesDone  int64   `json:"bytes_done,omitempty"`
	BytesTotal int64   `json:"bytes_total,omitempty"`
	ItemsDone  int64   `json:"items_done,omitempty"`
	ItemsTotal int64   `json:"items_total,omitempty"`
	// ETA is the estimated number of seconds left, 0 when unknown.
	ETA float64 `json:"eta_seconds,omitempty"`
}

// TaskError is the structured error of a failed task.
type TaskError struct {
	Code    Code              `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

// Task is one asynchronous operation.
type Task struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Operation Operation `json:"operation"`
	Target    Target    `json:"target"`
	// Parent is the id of the batch task this is a job of, or "".
	Parent string    `json:"parent,omitempty"`
	State  TaskState `json:"state"`
	// BlockedReason says what a blocked task waits for.
	BlockedReason string   `json:"blocked_reason,omitempty"`
	Progress      Progress `json:"progress"`
	Cancelable    bool     `json:"cancelable"`
	CreatedBy     string   `json:"created_by,omitempty"`
	RequestID     string   `json:"request_id,omitempty"`
	// Params is the operation's input, as the handler decodes it.
	Params json.RawMessage `json:"params,omitempty"`
	// ExclusiveKey serialises conflicting work: at most one unfinished task
	// holds a key at a time.
	ExclusiveKey string `json:"exclusive_key,omitempty"`
	// Attempt counts how many times a worker has claimed the task.
	Attempt    int             `json:"attempt"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	EndedAt    *time.Time      `json:"ended_at,omitempty"`
	UpdatedAt  time.Time       `json:"updated_at"`
	Result     json.RawMessage `json:"result,omitempty"`
	ResultType string          `json:"result_type,omitempty"`
	Error      *TaskError      `json:"error,omitempty"`
	Warnings   []string        `json:"warnings,omitempty"`
	// CancelRequested is set when a cancel was asked for; the worker that
	// runs the task learns it at its next heartbeat.
	CancelRequested bool `json:"cancel_requested,omitempty"`
	// Worker and LeaseUntil identify who runs the task and until when its
	// lease holds.
	Worker     string     `json:"worker,omitempty"`
	LeaseUntil *time.Time `json:"lease_until,omitempty"`
}

// DeriveParentState returns the state of a batch parent from its children's
// states, and whether every child has ended. All succeeded → succeeded; all
// failed → failed; all canceled → canceled; any other mix → partially
// succeeded.
func DeriveParentState(children []TaskState) (TaskState, bool) {
	counts := map[TaskState]int{}
	for _, s := range children {
		if !s.IsFinal() {
			return TaskRunning, false
		}
		counts[s]++
	}
	n := len(children)
	switch {
	case n == 0 || counts[TaskSucceeded] == n:
		return TaskSucceeded, true
	case counts[TaskFailed] == n:
		return TaskFailed, true
	case counts[TaskCanceled] == n:
		return TaskCanceled, true
	case counts[TaskFailed]+counts[TaskCanceled] == n:
		return TaskFailed, true
	}
	return TaskPartiallySucceeded, true
}

// MergeProgress returns next with the rules of progress applied against prev:
// percent never goes back and stays within [0, 100].
func MergeProgress(prev, next Progress) Progress {
	if next.Percent < prev.Percent {
		next.Percent = prev.Percent
	}
	if next.Percent > 100 {
		next.Percent = 100
	}
	if next.Percent < 0 {
		next.Percent = 0
	}
	return next
}

// AggregateProgress sums children's progress into a parent's: bytes and items
// add up, percent is the mean.
func AggregateProgress(children []Progress) Progress {
	var p Progress
	if len(children) == 0 {
		return p
	}
	for _, c := range children {
		p.Percent += c.Percent
		p.BytesDone += c.BytesDone
		p.BytesTotal += c.BytesTotal
		p.ItemsDone += c.ItemsDone
		p.ItemsTotal += c.ItemsTotal
		if c.ETA > p.ETA {
			p.ETA = c.ETA
		}
	}
	p.Percent /= float64(len(children))
	p.Phase = "jobs"
	return p
}
