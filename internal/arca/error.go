package arca

import (
	"context"
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Clients branch on it; it
// never changes meaning once published.
type Code string

// The error codes. Each maps to one HTTP status at the edge.
const (
	CodeInvalidArgument      Code = "INVALID_ARGUMENT"
	CodeNotFound             Code = "NOT_FOUND"
	CodeAlreadyExists        Code = "ALREADY_EXISTS"
	CodeUnauthenticated      Code = "UNAUTHENTICATED"
	CodePermissionDenied     Code = "PERMISSION_DENIED"
	CodeFeatureInUse         Code = "FEATURE_IN_USE"
	CodeNotAllowedInState    Code = "NOT_ALLOWED_IN_CURRENT_STATE"
	CodeUnverifiedPeer       Code = "UNVERIFIED_PEER"
	CodeResourceExhausted    Code = "RESOURCE_EXHAUSTED"
	CodeUnavailable          Code = "UNAVAILABLE"
	CodeCanceled             Code = "CANCELED"
	CodeInternal             Code = "INTERNAL"
	CodeIdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	CodePayloadTooLarge      Code = "PAYLOAD_TOO_LARGE"
	CodeInterrupted          Code = "INTERRUPTED"
)

// FieldError names one bad field of a request and says what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one application error a user sees. Message is a sentence that
// says what was wrong and, where it can, what to do about it.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	// Details carries machine-readable context, for example the id of the
	// task holding a lock ("task_id").
	Details map[string]string
	// Err is an optional cause, kept for logs; it is never shown to users.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a sentinel of the same code: a sentinel is an
// *Error with an empty Message, such as ErrNotFound.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinels for errors.Is. They match any *Error of their code.
var (
	ErrInvalidArgument  = &Error{Code: CodeInvalidArgument}
	ErrNotFound         = &Error{Code: CodeNotFound}
	ErrAlreadyExists    = &Error{Code: CodeAlreadyExists}
	ErrUnauthenticated  = &Error{Code: CodeUnauthenticated}
	ErrPermissionDenied = &Error{Code: CodePermissionDenied}
	ErrFeatureInUse     = &Error{Code: CodeFeatureInUse}
	ErrNotAllowed       = &Error{Code: CodeNotAllowedInState}
	ErrUnavailable      = &Error{Code: CodeUnavailable}
	ErrCanceled         = &Error{Code: CodeCanceled}
)

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain,
// CodeCanceled for a context cancellation, and CodeInternal otherwise.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if isContextCanceled(err) {
		return CodeCanceled
	}
	return CodeInternal
}

// ErrorMessage returns the user-facing message of err: the message of its
// *Error, or a generic sentence for an internal error, whose text may hold
// details that are not for users.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if isContextCanceled(err) {
		return "The operation was canceled."
	}
	return "Internal error. The server log has the details under this request id."
}

func isContextCanceled(err error) bool {
	return errors.Is(err, context.Canceled)
}
