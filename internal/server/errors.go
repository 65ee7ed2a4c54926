package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// problemContentType is the media type of every error response (RFC 9457).
const problemContentType = "application/problem+json"

// internalMessage is all a user learns of an internal error; the log has the
// rest under the request id.
const internalMessage = "Internal error. The server log has the details under this request id."

// StatusOf returns the HTTP status of an error code.
func StatusOf(c arca.Code) int {
	switch c {
	case arca.CodeInvalidArgument:
		return http.StatusBadRequest
	case arca.CodeUnauthenticated:
		return http.StatusUnauthorized
	case arca.CodePermissionDenied:
		return http.StatusForbidden
	case arca.CodeNotFound:
		return http.StatusNotFound
	case arca.CodeAlreadyExists, arca.CodeFeatureInUse, arca.CodeNotAllowedInState, arca.CodeCanceled:
		return http.StatusConflict
	case arca.CodeIdempotencyKeyReused, arca.CodeUnverifiedPeer:
		return http.StatusUnprocessableEntity
	case arca.CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case arca.CodeResourceExhausted:
		return http.StatusTooManyRequests
	case arca.CodeUnavailable, arca.CodeInterrupted:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// apiError is an error on its way to the client: huma writes it as the
// response body (it is a huma.StatusError), and writeProblem writes it
// outside huma. Both go through problemOf.
type apiError struct {
	status int
	p      serverapi.Problem
}

func (e *apiError) Error() string                { return e.p.Code + ": " + e.p.Detail }
func (e *apiError) GetStatus() int               { return e.status }
func (e *apiError) ContentType(string) string    { return problemContentType }
func (e *apiError) MarshalJSON() ([]byte, error) { return json.Marshal(e.p) }

// problemOf turns err into the problem document the client sees: the one
// place that decides what an error looks like on the wire. status 0 means
// the status of the error's code. Internal errors are logged with their
// cause and shown as a generic sentence.
func (s *Server) problemOf(ctx context.Context, err error, status int) *apiError {
	code := arca.ErrorCode(err)
	if status == 0 {
		status = StatusOf(code)
	}
	p := serverapi.Problem{
		Type: "urn:arca:problem:" + strings.ToLower(string(code)), Title: http.StatusText(status),
		Status: status, Code: string(code), Detail: arca.ErrorMessage(err), RequestID: RequestID(ctx),
	}
	if code == arca.CodeInternal || status >= 500 && code != arca.CodeUnavailable {
		s.log.ErrorContext(ctx, "request failed", "err", err)
		p.Detail = internalMessage
	}
	var ae *arca.Error
	if errors.As(err, &ae) {
		for _, f := range ae.Fields {
			p.Errors = append(p.Errors, serverapi.FieldError{Field: f.Field, Message: f.Message})
		}
		if len(ae.Details) > 0 {
			p.Details = ae.Details
		}
		if id := ae.Details["task_id"]; id != "" {
			p.TaskID, p.Link = id, "/api/v1/tasks/"+id
		}
	}
	if p.Detail == "" {
		p.Detail = p.Title + "."
	}
	return &apiError{status: status, p: p}
}

// fail is what a huma handler returns for err.
func (s *Server) fail(ctx context.Context, err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return s.problemOf(ctx, err, 0)
}

// writeProblem writes err as a problem document outside huma (middleware,
// unknown routes, panics).
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error, status int) {
	ae := s.problemOf(r.Context(), err, status)
	body, _ := json.Marshal(ae.p)
	w.Header().Set("Content-Type", problemContentType)
	setRetryAfter(w.Header().Set, ae.p)
	w.WriteHeader(ae.status)
	_, _ = w.Write(body)
}

// transformHumaError is a huma transformer: it rewrites huma's own errors
// (validation, unreadable or oversized bodies, unknown query parameters)
// into the same problem shape as every other error, with INVALID_ARGUMENT
// answered as 400 (huma says 422).
func (s *Server) transformHumaError(hctx huma.Context, _ string, v any) (any, error) {
	if ae, ok := v.(*apiError); ok {
		setRetryAfter(hctx.SetHeader, ae.p)
		return v, nil
	}
	em, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	status := em.Status
	code := arca.CodeInvalidArgument
	switch {
	case status == http.StatusRequestEntityTooLarge:
		code = arca.CodePayloadTooLarge
	case status == http.StatusUnprocessableEntity:
		status = http.StatusBadRequest
	case status == http.StatusUnauthorized:
		code = arca.CodeUnauthenticated
	case status == http.StatusNotFound:
		code = arca.CodeNotFound
	case status >= 500:
		code = arca.CodeInternal
	}
	if sw := statusWriterOf(hctx); sw != nil {
		sw.override = status
	}
	e := humaArcaError(code, em)
	if code == arca.CodePayloadTooLarge {
		e.Message = fmt.Sprintf("The request body is too large: send at most %d bytes.", s.opts.MaxBodyBytes)
	}
	ae := s.problemOf(hctx.Context(), e, status)
	return ae.p, nil
}

// humaArcaError converts huma's error model to an arca error with field errors.
func humaArcaError(code arca.Code, em *huma.ErrorModel) *arca.Error {
	e := &arca.Error{Code: code, Err: em}
	for _, d := range em.Errors {
		if d == nil {
			continue
		}
		field := d.Location
		for _, prefix := range []string{"body.", "query.", "path.", "header."} {
			field = strings.TrimPrefix(field, prefix)
		}
		msg := d.Message
		if d.Location == "body" || field == "" {
			field = "body"
		}
		e.Fields = append(e.Fields, arca.FieldError{Field: field, Message: msg})
	}
	switch {
	case len(e.Fields) > 0:
		f := e.Fields[0]
		e.Message = fmt.Sprintf("The request is not valid: %s: %s. Fix the fields listed in errors and send it again.", f.Field, f.Message)
	default:
		e.Message = sentence(em.Detail)
	}
	return e
}

func sentence(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// setRetryAfter sets Retry-After for a problem that says when to retry
// (Details["retry_after_seconds"], as the login throttle does).
func setRetryAfter(set func(name, value string), p serverapi.Problem) {
	if v := p.Details["retry_after_seconds"]; v != "" {
		set("Retry-After", v)
	}
}
