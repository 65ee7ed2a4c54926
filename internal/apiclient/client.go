// Package apiclient is the Go client of Arca's native HTTP API, used by the
// arca CLI and the end-to-end tests. Errors the server reports come back as
// *arca.Error with the problem document's code, message, field errors and
// details, so callers branch on arca.ErrorCode as they would in-process.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// Options configure a Client.
type Options struct {
	// Token is the API token sent as a bearer credential.
	Token string
	// Fingerprint pins the server's TLS certificate: the SHA-256 of its DER
	// form in hex (colons and case ignored). With it set, only that
	// certificate is accepted, self-signed or not; without it, the usual
	// verification against the system roots applies.
	Fingerprint string
	// HTTPClient replaces the default client (its transport is used as is:
	// Fingerprint is then ignored).
	HTTPClient *http.Client
	UserAgent  string
}

// Client calls one Arca server. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
	ua    string
}

// New returns a client of the server at baseURL (http:// or https://).
func New(baseURL string, o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, arca.Errorf(arca.CodeInvalidArgument, "%q is not a server URL: use for example https://backup.example.com:8420", baseURL)
	}
	hc := o.HTTPClient
	if hc == nil {
		tr, err := transport(o.Fingerprint)
		if err != nil {
			return nil, err
		}
		hc = &http.Client{Transport: tr}
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "arca-apiclient"
	}
	return &Client{base: u, token: o.Token, hc: hc, ua: ua}, nil
}

// BaseURL is the server's URL.
func (c *Client) BaseURL() string { return c.base.String() }

// CallOption sets a header of one call.
type CallOption func(http.Header)

// IdempotencyKey makes a call that starts work safe to retry.
func IdempotencyKey(k string) CallOption {
	return func(h http.Header) { h.Set(serverapi.HeaderIdempotencyKey, k) }
}

// RequestID sends the request id the server logs and stores on tasks.
func RequestID(id string) CallOption {
	return func(h http.Header) { h.Set(serverapi.HeaderRequestID, id) }
}

// Do sends a raw request to path (with query) with the client's credentials
// and returns the response as is: for callers and tests that need what the
// typed methods hide. The caller closes the body.
func (c *Client) Do(ctx context.Context, method, path string, body io.Reader, opts ...CallOption) (*http.Response, error) {
	u := c.base.String() + path
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req.Header)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(method, u, err)
	}
	return resp, nil
}

// call sends a JSON request and decodes a JSON answer into out (nil: none),
// turning problem documents into *arca.Error.
func (c *Client) call(ctx context.Context, method, path string, in, out any, opts ...CallOption) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.Do(ctx, method, path, body, opts...)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return resp, DecodeError(resp)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp, fmt.Errorf("decode answer of %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// DecodeError reads an error response into an *arca.Error. A body that is
// not a problem document becomes an error naming the status.
func DecodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var p serverapi.Problem
	if err := json.Unmarshal(b, &p); err != nil || p.Code == "" {
		code := arca.CodeInternal
		if resp.StatusCode == http.StatusUnauthorized {
			code = arca.CodeUnauthenticated
		}
		return &arca.Error{Code: code, Message: fmt.Sprintf("The server answered %s: %s", resp.Status, snippet(b))}
	}
	return ProblemError(p)
}

// ProblemError converts a problem document to an *arca.Error.
func ProblemError(p serverapi.Problem) *arca.Error {
	e := &arca.Error{Code: arca.Code(p.Code), Message: p.Detail, Details: p.Details}
	for _, f := range p.Errors {
		e.Fields = append(e.Fields, arca.FieldError{Field: f.Field, Message: f.Message})
	}
	if p.RequestID != "" || p.TaskID != "" {
		e.Details = map[string]string{}
		for k, v := range p.Details {
			e.Details[k] = v
		}
		if p.RequestID != "" {
			e.Details["request_id"] = p.RequestID
		}
		if p.TaskID != "" {
			e.Details["task_id"] = p.TaskID
		}
	}
	return e
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(no body)"
	}
	return s
}

func transportError(method, u string, err error) error {
	var ae *arca.Error
	if asArca(err, &ae) {
		return ae
	}
	return &arca.Error{Code: arca.CodeUnavailable, Message: fmt.Sprintf("Cannot reach the server (%s %s): %v", method, u, err), Err: err}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
