package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// Exit codes of the arca binary (documented in docs/api.md).
const (
	ExitOK          = 0
	ExitError       = 1   // any other error
	ExitUsage       = 2   // bad command line
	ExitTaskFailed  = 3   // the task ended failed
	ExitTaskCancel  = 4   // the task ended canceled
	ExitTaskPartial = 5   // the task partially succeeded
	ExitAuth        = 6   // missing, wrong or insufficient credentials
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM)
)

// usageError marks an error in the command line.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// taskEndedError reports a task that ended other than succeeded.
type taskEndedError struct{ task serverapi.Task }

func (e taskEndedError) Error() string {
	msg := fmt.Sprintf("task %s ended %s", e.task.ID, e.task.State)
	if e.task.Error != nil {
		msg += fmt.Sprintf(": %s (%s)", e.task.Error.Message, e.task.Error.Code)
	}
	return msg
}

// checkOutcome returns nil for a succeeded task and a taskEndedError
// otherwise.
func checkOutcome(t serverapi.Task) error {
	if t.State == string(arca.TaskSucceeded) {
		return nil
	}
	return taskEndedError{t}
}

// ExitCode maps the error of a run to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var te taskEndedError
	var ue usageError
	var ce interface{ ExitCode() int }
	switch {
	case errors.As(err, &ce): // an error that knows its code (arca repo)
		return ce.ExitCode()
	case errors.As(err, &te):
		switch arca.TaskState(te.task.State) {
		case arca.TaskCanceled:
			return ExitTaskCancel
		case arca.TaskPartiallySucceeded:
			return ExitTaskPartial
		}
		return ExitTaskFailed
	case errors.As(err, &ue), strings.HasPrefix(err.Error(), "unknown command"):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	switch arca.ErrorCode(err) {
	case arca.CodeUnauthenticated, arca.CodePermissionDenied:
		return ExitAuth
	}
	return ExitError
}

// describeError renders an error for the terminal: the message, the field
// errors and the request id to quote in a bug report.
func describeError(err error) string {
	var ae *arca.Error
	if !errors.As(err, &ae) {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(ae.Message)
	if b.Len() == 0 {
		b.WriteString(string(ae.Code))
	}
	for _, f := range ae.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	if id := ae.Details["request_id"]; id != "" {
		fmt.Fprintf(&b, "\n  (code %s, request id %s)", ae.Code, id)
	}
	return b.String()
}
