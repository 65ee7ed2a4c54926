package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

func newRepoLsCmd(o *repoOptions) *cobra.Command {
	var long, jsonOut bool
	cmd := &cobra.Command{
		Use:   "ls SNAPSHOT [PATH]",
		Short: "List the files of a snapshot, recursively",
		Long: "List every entry of the snapshot (or of the subtree at PATH) as a path from the snapshot's root. " +
			"With --json, one JSON object per line.",
		Args: args(cobra.RangeArgs(1, 2)),
	}
	cmd.Flags().BoolVarP(&long, "long", "l", false, "show type, mode, owner, size and time")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print one JSON object per line")
	cmd.RunE = o.run(func(ctx context.Context, a []string) error {
		r, err := o.open(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		_, sn, err := findSnapshot(ctx, r, a[0])
		if err != nil {
			return err
		}
		sub := ""
		if len(a) == 2 {
			sub = a[1]
		}
		return o.ls(ctx, r, sn.Tree, sub, long, jsonOut)
	})
	return cmd
}

// lsEntry is one line of `ls --json`.
type lsEntry struct {
	Path       string    `json:"path"`
	Type       string    `json:"type"`
	Mode       string    `json:"mode"`
	Size       uint64    `json:"size"`
	ModTime    time.Time `json:"mtime"`
	UID        uint32    `json:"uid"`
	GID        uint32    `json:"gid"`
	User       string    `json:"user,omitempty"`
	Group      string    `json:"group,omitempty"`
	LinkTarget string    `json:"link_target,omitempty"`
}

func (o *repoOptions) ls(ctx context.Context, r *repo.Repository, root repo.ID, sub string, long, jsonOut bool) error {
	enc := json.NewEncoder(o.m.Stdout)
	tw := tabwriter.NewWriter(o.m.Stdout, 0, 0, 1, ' ', 0)
	err := walkSnapshot(ctx, r, root, sub, func(p string, n *tree.Node) error {
		switch {
		case jsonOut:
			return enc.Encode(lsEntry{Path: p, Type: n.Type.String(), Mode: nodeMode(n).String(), Size: n.Size,
				ModTime: n.ModTime, UID: n.UID, GID: n.GID, User: n.User, Group: n.Group, LinkTarget: n.LinkTarget})
		case long:
			target := ""
			if n.Type == tree.TypeSymlink {
				target = " -> " + n.LinkTarget
			}
			_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s%s\n", nodeMode(n), owner(n.User, n.UID), owner(n.Group, n.GID),
				n.Size, n.ModTime.Local().Format(time.DateTime), p, target)
			return err
		default:
			_, err := fmt.Fprintln(o.m.Stdout, p)
			return err
		}
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func owner(name string, id uint32) string {
	if name != "" {
		return name
	}
	return fmt.Sprint(id)
}

// nodeMode renders a node's type and permissions as fs.FileMode does.
func nodeMode(n *tree.Node) fs.FileMode {
	m := fs.FileMode(n.Mode & 0o777)
	if n.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch n.Type {
	case tree.TypeDir:
		m |= fs.ModeDir
	case tree.TypeSymlink:
		m |= fs.ModeSymlink
	case tree.TypeDevice:
		m |= fs.ModeDevice
	case tree.TypeCharDev:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case tree.TypeFIFO:
		m |= fs.ModeNamedPipe
	case tree.TypeSocket:
		m |= fs.ModeSocket
	}
	return m
}

// loadTree loads and decodes one tree blob.
func loadTree(ctx context.Context, r *repo.Repository, id repo.ID) (*tree.Tree, error) {
	data, err := r.LoadBlob(ctx, repo.TreeBlob, id, nil)
	if err != nil {
		return nil, fmt.Errorf("load tree %s: %w", id.Short(), err)
	}
	t, err := tree.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode tree %s: %w", id.Short(), err)
	}
	return t, nil
}

// resolvePath returns the node at a slash-separated path from the root
// tree, or nil for the root itself.
func resolvePath(ctx context.Context, r *repo.Repository, root repo.ID, p string) (*tree.Node, error) {
	var node *tree.Node
	cur := root
	for _, name := range strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/") {
		if name == "" {
			continue
		}
		if node != nil {
			if node.Type != tree.TypeDir || node.Subtree == nil {
				return nil, fmt.Errorf("path %q: %q is not a directory", p, node.Name)
			}
			cur = repo.ID(*node.Subtree)
		}
		t, err := loadTree(ctx, r, cur)
		if err != nil {
			return nil, err
		}
		if node = t.Find(name); node == nil {
			return nil, fmt.Errorf("path %q in snapshot: %w", p, os.ErrNotExist)
		}
	}
	return node, nil
}

// walkSnapshot calls fn for every node under the path sub of the tree
// root (the node at sub included), depth first in name order, with its
// path from the root ("/dir/file").
func walkSnapshot(ctx context.Context, r *repo.Repository, root repo.ID, sub string, fn func(string, *tree.Node) error) error {
	node, err := resolvePath(ctx, r, root, sub)
	if err != nil {
		return err
	}
	base := path.Clean("/" + sub)
	if node == nil {
		return walkTree(ctx, r, root, "/", fn)
	}
	if err := fn(base, node); err != nil {
		return err
	}
	if node.Type == tree.TypeDir && node.Subtree != nil {
		return walkTree(ctx, r, repo.ID(*node.Subtree), base, fn)
	}
	return nil
}

func walkTree(ctx context.Context, r *repo.Repository, id repo.ID, dir string, fn func(string, *tree.Node) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := loadTree(ctx, r, id)
	if err != nil {
		return err
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		p := path.Join(dir, n.Name)
		if err := fn(p, n); err != nil {
			return err
		}
		if n.Type == tree.TypeDir && n.Subtree != nil {
			if err := walkTree(ctx, r, repo.ID(*n.Subtree), p, fn); err != nil {
				return err
			}
		}
	}
	return nil
}
