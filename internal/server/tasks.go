package server

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/serverapi"
)

type taskIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"Task id."`
}

type getTaskInput struct {
	ID   string `path:"id" maxLength:"64" doc:"Task id."`
	Wait string `query:"wait" maxLength:"32" doc:"Long-poll: wait up to this long (Go duration such as 30s, or seconds) for the task to end; capped at 60 s; may return early."`
}

type listTasksInput struct {
	State      []string `query:"state,explode" doc:"Only tasks in these states (repeat the parameter or separate with commas)."`
	Operation  string   `query:"operation" maxLength:"64"`
	Parent     string   `query:"parent" maxLength:"64" doc:"Only the jobs of this batch task."`
	TargetType string   `query:"target_type" maxLength:"64"`
	TargetID   string   `query:"target_id" maxLength:"256"`
	Cursor     string   `query:"cursor" maxLength:"128" doc:"next_cursor of the previous page."`
	Limit      int      `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

type taskOutput struct {
	Body serverapi.Task
}

type taskListOutput struct {
	Body serverapi.TaskList
}

func (s *Server) taskRoutes() {
	tags := []string{"tasks"}
	register(s, huma.Operation{OperationID: "list-tasks", Method: http.MethodGet, Path: "/api/v1/tasks",
		Summary: "List tasks", Description: "Newest first, one page at a time.", Tags: tags}, auth.ActionTaskRead, s.listTasks)
	register(s, huma.Operation{OperationID: "get-task", Method: http.MethodGet, Path: "/api/v1/tasks/{id}",
		Summary: "Get a task, optionally waiting for it to end", Tags: tags}, auth.ActionTaskRead, s.getTask)
	register(s, huma.Operation{OperationID: "cancel-task", Method: http.MethodPost, Path: "/api/v1/tasks/{id}/cancel",
		Summary: "Cancel a task and its jobs", Tags: tags}, auth.ActionTaskCancel, s.cancelTask)
	register(s, huma.Operation{OperationID: "delete-task", Method: http.MethodDelete, Path: "/api/v1/tasks/{id}",
		Summary: "Delete a finished task", Tags: tags, DefaultStatus: http.StatusNoContent}, auth.ActionTaskDelete, s.deleteTask)
	s.eventRoute()
}

var bearer = []map[string][]string{{"bearer": {}}}

func (s *Server) listTasks(ctx context.Context, in *listTasksInput) (*taskListOutput, error) {
	f, err := taskFilter(in)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if !s.opts.Authorizer.SeesTenant(p, "") { // only admins see every tenant
		f.Tenant = p.Tenant
	}
	if err := s.opts.Authorizer.Authorize(p, auth.ActionTaskRead, f.Tenant); err != nil {
		return nil, s.fail(ctx, err)
	}
	ts, err := s.opts.Tasks.List(ctx, f)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &taskListOutput{Body: serverapi.TaskList{Items: wireTasks(ts)}}
	if len(ts) == f.Limit && len(ts) > 0 {
		out.Body.NextCursor = encodeCursor(ts[len(ts)-1].ID)
	}
	return out, nil
}

func taskFilter(in *listTasksInput) (catalog.TaskFilter, error) {
	f := catalog.TaskFilter{Operation: arca.Operation(in.Operation), Parent: in.Parent,
		TargetType: in.TargetType, TargetID: in.TargetID, Limit: catalog.ListLimit(in.Limit), Desc: true}
	for _, v := range in.State {
		for _, st := range strings.Split(v, ",") {
			st = strings.TrimSpace(st)
			if !arca.TaskState(st).Valid() {
				return f, invalidField("state", "%q is not a task state: use one of queued, blocked, running, canceling, succeeded, partially_succeeded, failed, canceled.", st)
			}
			f.States = append(f.States, arca.TaskState(st))
		}
	}
	if f.Parent != "" {
		if err := arca.CheckID("parent task", f.Parent); err != nil {
			return f, err
		}
	}
	if in.Cursor != "" {
		after, err := decodeCursor(in.Cursor)
		if err != nil {
			return f, err
		}
		f.After = after
	}
	return f, nil
}

func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !arca.ValidID(string(b)) {
		return "", invalidField("cursor", "The cursor %q is not one this API returned: pass next_cursor from the previous page unchanged.", c)
	}
	return string(b), nil
}

func invalidField(field, format string, args ...any) error {
	e := arca.Errorf(arca.CodeInvalidArgument, format, args...)
	e.Fields = []arca.FieldError{{Field: field, Message: e.Message}}
	return e
}

// visibleTask returns the task when the caller may perform action on it.
// A task of another tenant does not exist for the caller.
func (s *Server) visibleTask(ctx context.Context, id string, action auth.Action) (arca.Task, error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return arca.Task{}, err
	}
	if err := arca.CheckID("task", id); err != nil {
		return arca.Task{}, err
	}
	t, err := s.opts.Tasks.Get(ctx, id)
	if err != nil {
		return arca.Task{}, err
	}
	if !s.opts.Authorizer.SeesTenant(p, t.Tenant) {
		return arca.Task{}, catalog.TaskNotFound(id)
	}
	noteFrom(ctx).setTenant(t.Tenant)
	return t, s.opts.Authorizer.Authorize(p, action, t.Tenant)
}

func (s *Server) getTask(ctx context.Context, in *getTaskInput) (*taskOutput, error) {
	wait, err := s.parseWait(in.Wait)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	t, err := s.visibleTask(ctx, in.ID, auth.ActionTaskRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	if wait > 0 && !t.State.IsFinal() {
		wctx, cancel := s.draining(ctx)
		defer cancel()
		if t, err = s.opts.Tasks.Wait(wctx, in.ID, wait); err != nil {
			return nil, s.fail(ctx, err)
		}
	}
	return &taskOutput{Body: wireTask(t)}, nil
}

// parseWait reads ?wait=: a Go duration or a number of seconds, capped.
func (s *Server) parseWait(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || secs != secs {
			return 0, invalidField("wait", "wait=%q is not a duration: use for example wait=30s or wait=30.", v)
		}
		if secs > s.opts.MaxWait.Seconds() {
			secs = s.opts.MaxWait.Seconds()
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 {
		return 0, invalidField("wait", "wait=%q is negative: use a duration from 0 to %s.", v, s.opts.MaxWait)
	}
	return min(d, s.opts.MaxWait), nil
}

func (s *Server) cancelTask(ctx context.Context, in *taskIDInput) (*taskOutput, error) {
	if _, err := s.visibleTask(ctx, in.ID, auth.ActionTaskCancel); err != nil {
		return nil, s.fail(ctx, err)
	}
	t, err := s.opts.Tasks.Cancel(ctx, in.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &taskOutput{Body: wireTask(t)}, nil
}

func (s *Server) deleteTask(ctx context.Context, in *taskIDInput) (*struct{}, error) {
	if _, err := s.visibleTask(ctx, in.ID, auth.ActionTaskDelete); err != nil {
		return nil, s.fail(ctx, err)
	}
	if err := s.opts.Tasks.Delete(ctx, in.ID); err != nil {
		if errors.Is(err, arca.ErrNotAllowed) {
			err = &arca.Error{Code: arca.CodeNotAllowedInState, Err: err, Message: arca.ErrorMessage(err) +
				" Only a finished task can be deleted: cancel it first, or wait for it to end.",
				Details: map[string]string{"task_id": in.ID}}
		}
		return nil, s.fail(ctx, err)
	}
	return nil, nil
}
