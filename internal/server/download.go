package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
	"github.com/arcabackup/arca/internal/restorer"
	"github.com/arcabackup/arca/internal/serverapi"
)

type fileInput struct {
	ID   string `path:"id" maxLength:"64"`
	Path string `query:"path" maxLength:"4096" doc:"File within the snapshot."`
}

type archiveInput struct {
	ID     string `path:"id" maxLength:"64"`
	Path   string `query:"path" maxLength:"4096" doc:"Subtree to stream; empty for the whole snapshot."`
	Format string `query:"format" enum:"tar,zip" default:"tar"`
}

func (s *Server) downloadRoutes() {
	tags := []string{"snapshots"}
	register(s, huma.Operation{OperationID: "download-file", Method: http.MethodGet, Path: "/api/v1/snapshots/{id}/file",
		Summary: "Download one file of a snapshot", Description: "Supports HTTP Range requests (resume, partial reads).",
		Tags: tags, Responses: rawResponse("application/octet-stream", "The file's bytes (or the requested range).")},
		auth.ActionSnapshotDownload, s.downloadFile)
	register(s, huma.Operation{OperationID: "download-archive", Method: http.MethodGet, Path: "/api/v1/snapshots/{id}/archive",
		Summary: "Stream a subtree of a snapshot as tar or zip",
		Tags:    tags, Responses: rawResponse("application/x-tar", "The archive, streamed.")},
		auth.ActionSnapshotDownload, s.downloadArchive)
}

func rawResponse(contentType, doc string) map[string]*huma.Response {
	return map[string]*huma.Response{"200": {Description: doc, Content: map[string]*huma.MediaType{contentType: {}}}}
}

// openSnapshot opens the repository of a snapshot the caller may read, and
// returns it with the snapshot's root tree.
func (s *Server) openSnapshot(ctx context.Context, id string, action auth.Action) (*repo.Repository, repo.ID, func(), error) {
	sn, err := s.loadSnapshot(ctx, id, action)
	if err != nil {
		return nil, repo.ID{}, nil, err
	}
	reg, err := s.opts.Catalog.GetRepository(ctx, sn.RepositoryID)
	if err != nil {
		return nil, repo.ID{}, nil, fmt.Errorf("repository of snapshot %s: %w", sn.ID, err)
	}
	root, err := repo.ParseID(sn.Tree)
	if err != nil {
		return nil, repo.ID{}, nil, fmt.Errorf("snapshot %s tree: %w", sn.ID, err)
	}
	r, release, err := s.opts.Ops.Repos().Acquire(ctx, reg)
	if err != nil {
		return nil, repo.ID{}, nil, err
	}
	return r, root, release, nil
}

func snapshotPath(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", invalidField("path", "The path holds a NUL byte.")
	}
	return strings.TrimPrefix(path.Clean("/"+p), "/"), nil
}

func pathError(p string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &arca.Error{Code: arca.CodeNotFound, Message: fmt.Sprintf("The snapshot has no path %q.", p)}
	case errors.Is(err, restorer.ErrNotDir):
		return invalidField("path", "%q is not a directory of the snapshot.", p)
	}
	return err
}

func (s *Server) browseSnapshot(ctx context.Context, in *treeInput) (*treeOutput, error) {
	p, err := snapshotPath(in.Path)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r, root, release, err := s.openSnapshot(ctx, in.ID, auth.ActionSnapshotRead)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	defer release()
	nodes, err := restorer.New(r).List(ctx, root, p)
	if err != nil {
		return nil, s.fail(ctx, pathError(p, err))
	}
	out := &treeOutput{Body: serverapi.TreeListing{Path: p, Entries: make([]serverapi.TreeEntry, 0, len(nodes))}}
	for _, n := range nodes {
		out.Body.Entries = append(out.Body.Entries, wireEntry(p, n))
	}
	return out, nil
}

func wireEntry(dir string, n tree.Node) serverapi.TreeEntry {
	e := serverapi.TreeEntry{Name: n.Name, Path: path.Join(dir, n.Name), Mode: fs.FileMode(n.Mode & 0o777).String(), ModTime: n.ModTime, Target: n.LinkTarget}
	switch n.Type {
	case tree.TypeFile:
		e.Type, e.Size = "file", int64(n.Size)
	case tree.TypeDir:
		e.Type = "dir"
	case tree.TypeSymlink:
		e.Type = "symlink"
	default:
		e.Type = "other"
	}
	return e
}

func (s *Server) downloadFile(ctx context.Context, in *fileInput) (*huma.StreamResponse, error) {
	p, err := snapshotPath(in.Path)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r, root, release, err := s.openSnapshot(ctx, in.ID, auth.ActionSnapshotDownload)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	rs := restorer.New(r)
	n, err := rs.Lookup(ctx, root, p)
	if err == nil && (n == nil || n.Type != tree.TypeFile) {
		err = invalidField("path", "%q is not a file of the snapshot: browse the tree, or download a directory as an archive.", p)
	}
	var f *restorer.FileReader
	if err == nil {
		f, err = rs.OpenFile(ctx, n)
	}
	if err != nil {
		release()
		return nil, s.fail(ctx, pathError(p, err))
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		defer release()
		req, w := humago.Unwrap(hctx)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": n.Name}))
		http.ServeContent(w, req, "", n.ModTime, f)
	}}, nil
}

func (s *Server) downloadArchive(ctx context.Context, in *archiveInput) (*huma.StreamResponse, error) {
	p, err := snapshotPath(in.Path)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	r, root, release, err := s.openSnapshot(ctx, in.ID, auth.ActionSnapshotDownload)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	rs := restorer.New(r)
	if _, err := rs.Lookup(ctx, root, p); err != nil {
		release()
		return nil, s.fail(ctx, pathError(p, err))
	}
	name := strings.ReplaceAll(path.Base("/"+p), "/", "")
	if name == "" {
		name = "snapshot-" + in.ID[:8]
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		defer release()
		_, w := humago.Unwrap(hctx)
		write, ctype := rs.WriteTar, "application/x-tar"
		if in.Format == "zip" {
			write, ctype = rs.WriteZip, "application/zip"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + in.Format}))
		w.WriteHeader(http.StatusOK)
		res, err := write(ctx, w, root, restorer.StreamOptions{Path: p})
		if err != nil {
			// Headers are gone: the client sees a truncated archive.
			s.log.WarnContext(ctx, "archive stream ended early", "snapshot", in.ID, "err", err)
		} else if res != nil && res.FailureCount > 0 {
			s.log.WarnContext(ctx, "archive streamed with failures", "snapshot", in.ID, "failures", res.FailureCount)
		}
	}}, nil
}
