package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// SnapshotFilter selects snapshots to list. Zero fields do not filter.
type SnapshotFilter struct {
	RepositoryID string
	SourceID     string
	Tag          string
	Since, Until time.Time
	Limit        int // 0: the server's default
}

func (f SnapshotFilter) query(cursor string) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("repository_id", f.RepositoryID)
	set("source_id", f.SourceID)
	set("tag", f.Tag)
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	return pageQuery(q, cursor, f.Limit)
}

// ListSnapshots returns one page of snapshots, newest first; pass the
// page's NextCursor for the next one ("" for the first).
func (c *Client) ListSnapshots(ctx context.Context, f SnapshotFilter, cursor string, opts ...CallOption) (serverapi.SnapshotList, error) {
	var l serverapi.SnapshotList
	_, err := c.call(ctx, http.MethodGet, withQuery("/api/v1/snapshots", f.query(cursor)), nil, &l, opts...)
	return l, err
}

// AllSnapshots returns every snapshot f selects, newest first.
func (c *Client) AllSnapshots(ctx context.Context, f SnapshotFilter, opts ...CallOption) ([]serverapi.Snapshot, error) {
	return allPages(ctx, func(ctx context.Context, cursor string) ([]serverapi.Snapshot, string, error) {
		l, err := c.ListSnapshots(ctx, f, cursor, opts...)
		return l.Items, l.NextCursor, err
	})
}

// GetSnapshot returns a snapshot; id may be a unique prefix of at least 8
// hex digits.
func (c *Client) GetSnapshot(ctx context.Context, id string, opts ...CallOption) (serverapi.Snapshot, error) {
	var s serverapi.Snapshot
	if err := checkSnapshotID(id); err != nil {
		return s, err
	}
	_, err := c.call(ctx, http.MethodGet, "/api/v1/snapshots/"+id, nil, &s, opts...)
	return s, err
}

// SnapshotTree lists one directory of a snapshot ("" or "/" for its root).
func (c *Client) SnapshotTree(ctx context.Context, id, path string, opts ...CallOption) (serverapi.TreeListing, error) {
	var l serverapi.TreeListing
	if err := checkSnapshotID(id); err != nil {
		return l, err
	}
	q := url.Values{}
	if path != "" {
		q.Set("path", path)
	}
	_, err := c.call(ctx, http.MethodGet, withQuery("/api/v1/snapshots/"+id+"/tree", q), nil, &l, opts...)
	return l, err
}

// ForgetSnapshot starts a task that removes a snapshot from its repository
// (its data is freed by a later prune).
func (c *Client) ForgetSnapshot(ctx context.Context, id string, opts ...CallOption) (Accepted, error) {
	if err := checkSnapshotID(id); err != nil {
		return Accepted{}, err
	}
	var t serverapi.Task
	resp, err := c.call(ctx, http.MethodDelete, "/api/v1/snapshots/"+id, nil, &t, opts...)
	if err != nil {
		return Accepted{}, err
	}
	return accepted(resp, t), nil
}

// OpenSnapshotFile opens one file of a snapshot from byte offset on (a
// Range request) and returns its body and the file's whole size. At an
// offset equal to the size the body is empty. The caller closes the body.
func (c *Client) OpenSnapshotFile(ctx context.Context, id, path string, offset int64, opts ...CallOption) (io.ReadCloser, int64, error) {
	if err := checkSnapshotID(id); err != nil {
		return nil, 0, err
	}
	if offset > 0 {
		opts = append(opts, func(h http.Header) { h.Set("Range", fmt.Sprintf("bytes=%d-", offset)) })
	}
	opts = append(opts, func(h http.Header) { h.Set("Accept", "application/octet-stream") })
	resp, err := c.Do(ctx, http.MethodGet, withQuery("/api/v1/snapshots/"+id+"/file", url.Values{"path": {path}}), nil, opts...)
	if err != nil {
		return nil, 0, err
	}
	body, size, err := rangeBody(resp, offset)
	if err != nil {
		resp.Body.Close()
		return nil, 0, err
	}
	return body, size, nil
}

// rangeBody checks the answer to a request from offset on and returns the
// body positioned at offset and the file's size.
func rangeBody(resp *http.Response, offset int64) (io.ReadCloser, int64, error) {
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, size, err := contentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return nil, 0, err
		}
		if start != offset {
			return nil, 0, fmt.Errorf("the server sent bytes from %d on, asked from %d", start, offset)
		}
		return resp.Body, size, nil
	case http.StatusOK: // the whole file: skip what we have
		if resp.ContentLength >= 0 && offset > resp.ContentLength {
			return nil, 0, rangeError(offset, resp.ContentLength)
		}
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			return nil, 0, &downloadError{fmt.Errorf("skip the first %d bytes: %w", offset, err)}
		}
		return resp.Body, resp.ContentLength, nil
	case http.StatusRequestedRangeNotSatisfiable:
		_, size, err := contentRange(resp.Header.Get("Content-Range"))
		if err == nil && size == offset {
			return io.NopCloser(strings.NewReader("")), size, nil
		}
		return nil, 0, rangeError(offset, size)
	}
	if resp.StatusCode >= 400 {
		return nil, 0, DecodeError(resp)
	}
	return nil, 0, fmt.Errorf("unexpected answer %s to a file download", resp.Status)
}

func rangeError(offset, size int64) error {
	return &arca.Error{Code: arca.CodeInvalidArgument,
		Message: fmt.Sprintf("Cannot resume at byte %d: the file has %d bytes. Remove the partial file and download it again.", offset, size)}
}

// contentRange parses "bytes first-last/size" or "bytes */size".
func contentRange(h string) (start, size int64, err error) {
	spec, ok := strings.CutPrefix(h, "bytes ")
	rng, total, ok2 := strings.Cut(spec, "/")
	if !ok || !ok2 {
		return 0, 0, fmt.Errorf("bad Content-Range %q", h)
	}
	if size, err = strconv.ParseInt(total, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("bad Content-Range %q: %w", h, err)
	}
	if rng == "*" {
		return -1, size, nil
	}
	first, _, _ := strings.Cut(rng, "-")
	if start, err = strconv.ParseInt(first, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("bad Content-Range %q: %w", h, err)
	}
	return start, size, nil
}

// maxDownloadFailures is how many broken transfers in a row DownloadFile
// resumes before it gives up.
const maxDownloadFailures = 5

// DownloadFile writes one file of a snapshot to w, from byte offset on (the
// length of a partial copy, to resume it). A transfer that breaks is resumed
// with a Range request where it stopped. It returns the bytes written and
// the file's size.
func (c *Client) DownloadFile(ctx context.Context, id, path string, w io.Writer, offset int64, opts ...CallOption) (written, size int64, err error) {
	failures, backoff := 0, 500*time.Millisecond
	for {
		n, sz, err := c.downloadOnce(ctx, id, path, w, offset+written, opts)
		written += n
		if err == nil {
			return written, sz, nil
		}
		if !resumable(err) {
			return written, sz, err
		}
		if n > 0 { // it moved on: resume at once
			failures, backoff = 0, 500*time.Millisecond
			continue
		}
		if failures++; failures > maxDownloadFailures {
			return written, sz, fmt.Errorf("gave up after %d failed attempts: %w", failures, err)
		}
		if err := sleep(ctx, backoff); err != nil {
			return written, sz, err
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// errShortBody is a transfer that ended before the file did.
var errShortBody = errors.New("the download ended early")

func (c *Client) downloadOnce(ctx context.Context, id, path string, w io.Writer, offset int64, opts []CallOption) (int64, int64, error) {
	body, size, err := c.OpenSnapshotFile(ctx, id, path, offset, opts...)
	if err != nil {
		return 0, 0, err
	}
	defer body.Close()
	n, err := io.Copy(w, readerOnly{body}) // read errors come back as *downloadError
	if err != nil {
		return n, size, err
	}
	if size >= 0 && offset+n != size {
		return n, size, fmt.Errorf("%w: %d of %d bytes", errShortBody, offset+n, size)
	}
	return n, size, nil
}

// readerOnly hides a body's WriteTo so that a failed write to the
// destination is told apart from a failed read (downloadError wraps reads).
type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &downloadError{err}
	}
	return n, err
}

// downloadError is a read from the server that failed mid-body.
type downloadError struct{ err error }

func (e *downloadError) Error() string { return "download: " + e.err.Error() }
func (e *downloadError) Unwrap() error { return e.err }

// resumable says whether a failed transfer is worth resuming: the body
// broke, or the server was briefly unavailable; not a write to the
// destination that failed, nor a canceled context.
func resumable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var de *downloadError
	if errors.As(err, &de) || errors.Is(err, errShortBody) {
		return true
	}
	return arca.ErrorCode(err) == arca.CodeUnavailable
}

// DownloadArchive streams a directory of a snapshot to w as an archive
// (format "tar" or "zip"; "" is tar) and returns the bytes written. The
// archive is made on the fly, so a broken transfer is not resumed.
func (c *Client) DownloadArchive(ctx context.Context, id, path, format string, w io.Writer, opts ...CallOption) (int64, error) {
	if err := checkSnapshotID(id); err != nil {
		return 0, err
	}
	q := url.Values{}
	if path != "" {
		q.Set("path", path)
	}
	if format != "" {
		q.Set("format", format)
	}
	opts = append(opts, func(h http.Header) { h.Set("Accept", "*/*") })
	resp, err := c.Do(ctx, http.MethodGet, withQuery("/api/v1/snapshots/"+id+"/archive", q), nil, opts...)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return 0, DecodeError(resp)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("download archive of snapshot %s: %w", id, err)
	}
	return n, nil
}

// checkSnapshotID accepts a snapshot id or a prefix of at least 8 hex
// digits (the server refuses a prefix that is not unique).
func checkSnapshotID(id string) error {
	ok := len(id) >= 8 && len(id) <= 64
	for _, r := range id {
		ok = ok && strings.ContainsRune("0123456789abcdef", r)
	}
	if ok {
		return nil
	}
	return &arca.Error{Code: arca.CodeInvalidArgument,
		Message: fmt.Sprintf("%q is not a snapshot id: give the id or at least its first 8 hex digits (as arca snapshot ls shows them).", id),
		Fields:  []arca.FieldError{{Field: "snapshot_id", Message: "not a snapshot id"}}}
}
