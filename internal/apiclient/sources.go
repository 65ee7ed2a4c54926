package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// SourceFilter selects sources to list. Zero fields do not filter.
type SourceFilter struct {
	RepositoryID string
	Kind         string
	Limit        int // 0: the server's default
}

func (f SourceFilter) query(cursor string) url.Values {
	q := url.Values{}
	if f.RepositoryID != "" {
		q.Set("repository_id", f.RepositoryID)
	}
	if f.Kind != "" {
		q.Set("kind", f.Kind)
	}
	return pageQuery(q, cursor, f.Limit)
}

// CreateSource creates a source (POST /api/v1/sources).
func (c *Client) CreateSource(ctx context.Context, req serverapi.SourceCreate, opts ...CallOption) (serverapi.Source, error) {
	var s serverapi.Source
	_, err := c.call(ctx, http.MethodPost, "/api/v1/sources", req, &s, opts...)
	return s, err
}

// ListSources returns one page of sources; pass the page's NextCursor for
// the next one ("" for the first).
func (c *Client) ListSources(ctx context.Context, f SourceFilter, cursor string, opts ...CallOption) (serverapi.SourceList, error) {
	var l serverapi.SourceList
	_, err := c.call(ctx, http.MethodGet, withQuery("/api/v1/sources", f.query(cursor)), nil, &l, opts...)
	return l, err
}

// AllSources returns every source f selects, page after page.
func (c *Client) AllSources(ctx context.Context, f SourceFilter, opts ...CallOption) ([]serverapi.Source, error) {
	return allPages(ctx, func(ctx context.Context, cursor string) ([]serverapi.Source, string, error) {
		l, err := c.ListSources(ctx, f, cursor, opts...)
		return l.Items, l.NextCursor, err
	})
}

// GetSource returns a source.
func (c *Client) GetSource(ctx context.Context, id string, opts ...CallOption) (serverapi.Source, error) {
	var s serverapi.Source
	if err := arca.CheckID("source", id); err != nil {
		return s, err
	}
	_, err := c.call(ctx, http.MethodGet, "/api/v1/sources/"+id, nil, &s, opts...)
	return s, err
}

// UpdateSource changes a source (absent fields stay) and returns it.
func (c *Client) UpdateSource(ctx context.Context, id string, p serverapi.SourcePatch, opts ...CallOption) (serverapi.Source, error) {
	var s serverapi.Source
	if err := arca.CheckID("source", id); err != nil {
		return s, err
	}
	_, err := c.call(ctx, http.MethodPatch, "/api/v1/sources/"+id, p, &s, opts...)
	return s, err
}

// DeleteSource deletes a source; its snapshots stay in the repository.
func (c *Client) DeleteSource(ctx context.Context, id string, opts ...CallOption) error {
	if err := arca.CheckID("source", id); err != nil {
		return err
	}
	_, err := c.call(ctx, http.MethodDelete, "/api/v1/sources/"+id, nil, nil, opts...)
	return err
}
