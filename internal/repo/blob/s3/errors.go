package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// errorCode is the S3 error code in err ("NoSuchKey", ...), or "".
func errorCode(err error) string {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code
	}
	return ""
}

// mapErr wraps err from operation op on name: not found becomes
// blob.ErrNotExist, a failed If-None-Match blob.ErrExists, a canceled
// context its context error, and failures retrying cannot fix
// blob.ErrPermanent. The secret key is scrubbed from the message.
func (s *Store) mapErr(ctx context.Context, op, name string, err error) error {
	var er minio.ErrorResponse
	isResp := errors.As(err, &er)
	var kind error
	switch {
	case ctx.Err() != nil:
		kind = ctx.Err()
	case isResp && (er.Code == "NoSuchKey" || er.StatusCode == http.StatusNotFound && er.Code != "NoSuchBucket"):
		kind = blob.ErrNotExist
	case isResp && (er.Code == "PreconditionFailed" || er.StatusCode == http.StatusPreconditionFailed):
		kind = blob.ErrExists
	case isResp && permanent(er):
		kind = blob.ErrPermanent
	}
	msg := fmt.Sprintf("s3 %s %s: %v", op, name, err)
	if s.secret != "" {
		msg = strings.ReplaceAll(msg, s.secret, "[redacted]")
	}
	return &opError{msg: msg, kind: kind, err: err}
}

// permanent reports whether an error answer will be the same when asked
// again: client errors, except time-outs, throttling, conflicts of
// concurrent conditional writes and bodies corrupted in transit.
func permanent(er minio.ErrorResponse) bool {
	switch er.Code {
	case "BadDigest", "XAmzContentSHA256Mismatch", "RequestTimeout", "SlowDown",
		"ConditionalRequestConflict", "IncompleteBody", "RequestTimeTooSkewed":
		return false
	}
	switch er.StatusCode {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return er.StatusCode >= 400 && er.StatusCode < 500
}

// opError is a failed operation: its message is scrubbed of credentials;
// it matches its kind (a blob sentinel or context error) and its cause.
type opError struct {
	msg  string
	kind error
	err  error
}

func (e *opError) Error() string { return e.msg }

func (e *opError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}
