package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// Accepted is the answer of a call that started a task.
type Accepted struct {
	Task      serverapi.Task
	Location  string
	Replayed  bool // an earlier call with the same idempotency key created it
	RequestID string
}

func accepted(resp *http.Response, t serverapi.Task) Accepted {
	return Accepted{Task: t, Location: resp.Header.Get("Location"),
		Replayed: resp.Header.Get(serverapi.HeaderReplayed) == "true", RequestID: resp.Header.Get(serverapi.HeaderRequestID)}
}

// CreateSelftest starts the selftest operation (admin only).
func (c *Client) CreateSelftest(ctx context.Context, req serverapi.SelftestRequest, opts ...CallOption) (Accepted, error) {
	var t serverapi.Task
	resp, err := c.call(ctx, http.MethodPost, "/api/v1/system/selftest", req, &t, opts...)
	if err != nil {
		return Accepted{}, err
	}
	return accepted(resp, t), nil
}

// GetTask returns a task. With wait > 0 the server holds the call until the
// task ends or wait (capped at 60 s) runs out; it may answer earlier.
func (c *Client) GetTask(ctx context.Context, id string, wait time.Duration, opts ...CallOption) (serverapi.Task, error) {
	if err := checkID(id); err != nil {
		return serverapi.Task{}, err
	}
	path := "/api/v1/tasks/" + id
	if wait > 0 {
		path += "?wait=" + url.QueryEscape(wait.String())
	}
	var t serverapi.Task
	_, err := c.call(ctx, http.MethodGet, path, nil, &t, opts...)
	return t, err
}

// WaitTask polls until the task ends (or ctx ends), long-polling 60 s at a
// time.
func (c *Client) WaitTask(ctx context.Context, id string) (serverapi.Task, error) {
	for {
		t, err := c.GetTask(ctx, id, time.Minute)
		if err != nil || t.Final() {
			return t, err
		}
		if err := ctx.Err(); err != nil {
			return t, err
		}
	}
}

// TaskFilter selects tasks to list. Zero fields do not filter.
type TaskFilter struct {
	States     []string
	Operation  string
	Parent     string
	TargetType string
	TargetID   string
	Limit      int // 0: the server's default (100); at most 1000
}

// ListTasks returns one page of tasks, newest first; pass the page's
// NextCursor to get the next one ("" for the first).
func (c *Client) ListTasks(ctx context.Context, f TaskFilter, cursor string, opts ...CallOption) (serverapi.TaskList, error) {
	q := url.Values{}
	for _, s := range f.States {
		q.Add("state", s)
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("operation", f.Operation)
	set("parent", f.Parent)
	set("target_type", f.TargetType)
	set("target_id", f.TargetID)
	set("cursor", cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	path := "/api/v1/tasks"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var l serverapi.TaskList
	_, err := c.call(ctx, http.MethodGet, path, nil, &l, opts...)
	return l, err
}

// CancelTask requests cancellation of a task (and its jobs) and returns it.
func (c *Client) CancelTask(ctx context.Context, id string, opts ...CallOption) (serverapi.Task, error) {
	if err := checkID(id); err != nil {
		return serverapi.Task{}, err
	}
	var t serverapi.Task
	_, err := c.call(ctx, http.MethodPost, "/api/v1/tasks/"+id+"/cancel", nil, &t, opts...)
	return t, err
}

// DeleteTask deletes a finished task.
func (c *Client) DeleteTask(ctx context.Context, id string, opts ...CallOption) error {
	if err := checkID(id); err != nil {
		return err
	}
	_, err := c.call(ctx, http.MethodDelete, "/api/v1/tasks/"+id, nil, nil, opts...)
	return err
}

// WhoAmI returns the principal the client's token stands for: the check
// arca login makes.
func (c *Client) WhoAmI(ctx context.Context) (serverapi.Principal, error) {
	var p serverapi.Principal
	_, err := c.call(ctx, http.MethodGet, "/api/v1/whoami", nil, &p)
	return p, err
}

// Ready reports whether the server is ready (/readyz).
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.call(ctx, http.MethodGet, "/readyz", nil, nil)
	return err
}

func checkID(id string) error { return arca.CheckID("task", id) }
