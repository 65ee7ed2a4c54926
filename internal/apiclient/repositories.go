package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// RepositoryAccepted answers a repository creation: the registered
// repository and the task that initialises or attaches it.
type RepositoryAccepted struct {
	Repository serverapi.Repository
	Accepted
}

// CreateRepository registers a repository (POST /api/v1/repositories): the
// server initialises it, or attaches the one already at the location after
// checking the password, as a task.
func (c *Client) CreateRepository(ctx context.Context, req serverapi.RepositoryCreate, opts ...CallOption) (RepositoryAccepted, error) {
	var out serverapi.RepositoryCreated
	resp, err := c.call(ctx, http.MethodPost, "/api/v1/repositories", req, &out, opts...)
	if err != nil {
		return RepositoryAccepted{}, err
	}
	return RepositoryAccepted{Repository: out.Repository, Accepted: accepted(resp, out.Task)}, nil
}

// ListRepositories returns one page of repositories; pass the page's
// NextCursor for the next one ("" for the first). limit 0 is the server's
// default.
func (c *Client) ListRepositories(ctx context.Context, cursor string, limit int, opts ...CallOption) (serverapi.RepositoryList, error) {
	var l serverapi.RepositoryList
	_, err := c.call(ctx, http.MethodGet, withQuery("/api/v1/repositories", pageQuery(url.Values{}, cursor, limit)), nil, &l, opts...)
	return l, err
}

// AllRepositories returns every repository the caller sees, page after page.
func (c *Client) AllRepositories(ctx context.Context, opts ...CallOption) ([]serverapi.Repository, error) {
	return allPages(ctx, func(ctx context.Context, cursor string) ([]serverapi.Repository, string, error) {
		l, err := c.ListRepositories(ctx, cursor, 0, opts...)
		return l.Items, l.NextCursor, err
	})
}

// GetRepository returns a repository.
func (c *Client) GetRepository(ctx context.Context, id string, opts ...CallOption) (serverapi.Repository, error) {
	var r serverapi.Repository
	if err := arca.CheckID("repository", id); err != nil {
		return r, err
	}
	_, err := c.call(ctx, http.MethodGet, "/api/v1/repositories/"+id, nil, &r, opts...)
	return r, err
}

// UpdateRepository changes a repository's name, credentials or password
// (absent fields stay) and returns it.
func (c *Client) UpdateRepository(ctx context.Context, id string, p serverapi.RepositoryPatch, opts ...CallOption) (serverapi.Repository, error) {
	var r serverapi.Repository
	if err := arca.CheckID("repository", id); err != nil {
		return r, err
	}
	_, err := c.call(ctx, http.MethodPatch, "/api/v1/repositories/"+id, p, &r, opts...)
	return r, err
}

// DeleteRepository removes a repository's registration; its data stays
// where it is.
func (c *Client) DeleteRepository(ctx context.Context, id string, opts ...CallOption) error {
	if err := arca.CheckID("repository", id); err != nil {
		return err
	}
	_, err := c.call(ctx, http.MethodDelete, "/api/v1/repositories/"+id, nil, nil, opts...)
	return err
}

// VerifyRepository starts a verification of a repository.
func (c *Client) VerifyRepository(ctx context.Context, id string, req serverapi.VerifyRequest, opts ...CallOption) (Accepted, error) {
	return c.startRepositoryTask(ctx, id, "verify", req, opts)
}

// PruneRepository starts a prune of a repository: forget what the policy
// does not keep (if given), then collect unused data.
func (c *Client) PruneRepository(ctx context.Context, id string, req serverapi.PruneRequest, opts ...CallOption) (Accepted, error) {
	return c.startRepositoryTask(ctx, id, "prune", req, opts)
}

// SyncRepository starts a task that rebuilds the catalog's list of a
// repository's snapshots from the repository itself.
func (c *Client) SyncRepository(ctx context.Context, id string, opts ...CallOption) (Accepted, error) {
	return c.startRepositoryTask(ctx, id, "sync", nil, opts)
}

func (c *Client) startRepositoryTask(ctx context.Context, id, action string, req any, opts []CallOption) (Accepted, error) {
	if err := arca.CheckID("repository", id); err != nil {
		return Accepted{}, err
	}
	return c.startTask(ctx, "/api/v1/repositories/"+id+"/"+action, req, opts)
}

// startTask POSTs req to path and returns the task it started.
func (c *Client) startTask(ctx context.Context, path string, req any, opts []CallOption) (Accepted, error) {
	var t serverapi.Task
	resp, err := c.call(ctx, http.MethodPost, path, req, &t, opts...)
	if err != nil {
		return Accepted{}, err
	}
	return accepted(resp, t), nil
}

// pageQuery adds cursor and limit to q.
func pageQuery(q url.Values, cursor string, limit int) url.Values {
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// maxPages bounds allPages, against a server that keeps answering a cursor.
const maxPages = 10_000

// allPages calls page until it returns no cursor and collects the items.
func allPages[T any](ctx context.Context, page func(ctx context.Context, cursor string) ([]T, string, error)) ([]T, error) {
	var all []T
	cursor := ""
	for range maxPages {
		items, next, err := page(ctx, cursor)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		cursor = next
	}
	return nil, &arca.Error{Code: arca.CodeInternal, Message: "The server kept answering more pages: report this as a bug."}
}
