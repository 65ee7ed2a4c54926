package restorer

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"unicode/utf8"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// WriteZip writes the tree (or the subtree opts.Path) to w as a zip
// archive: files deflated, directories and symlinks (as Unix-mode entries
// whose content is the target), modes and times kept. Hard links become
// copies. Devices, FIFOs, sockets and unsafe names are left out and listed
// in the result; owners and xattrs are not kept (zip has no place for them).
func (rs *Restorer) WriteZip(ctx context.Context, w io.Writer, root repo.ID, opts StreamOptions) (*Result, error) {
	s := &streamer{repo: rs.repo}
	zw := zip.NewWriter(w)
	err := s.walk(ctx, root, opts, func(p string, n *tree.Node) error {
		hdr, ok := zipHeader(p, n)
		if !ok {
			s.rep.fail(p, fmt.Errorf("a %v cannot be stored in a zip archive", n.Type))
			return nil
		}
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		s.rep.add(func(r *Result) { count(r, n, false) })
		switch n.Type {
		case tree.TypeSymlink:
			_, err = io.WriteString(fw, n.LinkTarget)
			return err
		case tree.TypeFile:
			s.rep.add(func(r *Result) { r.Bytes += n.Size })
			return s.copyContent(ctx, fw, p, n)
		}
		return nil
	})
	if err == nil {
		err = zw.Close()
	}
	res := s.rep.res
	if err != nil {
		return &res, fmt.Errorf("write zip: %w", err)
	}
	return &res, nil
}

func zipHeader(p string, n *tree.Node) (*zip.FileHeader, bool) {
	hdr := &zip.FileHeader{Name: p, Modified: n.ModTime, NonUTF8: !utf8.ValidString(p)}
	perm := fs.FileMode(n.Mode & 0o777)
	switch n.Type {
	case tree.TypeFile:
		hdr.Method = zip.Deflate
		hdr.SetMode(perm | unixSpecialBits(n.Mode))
	case tree.TypeDir:
		hdr.Name += "/"
		hdr.SetMode(fs.ModeDir | perm | unixSpecialBits(n.Mode))
	case tree.TypeSymlink:
		hdr.SetMode(fs.ModeSymlink | perm)
	default:
		return nil, false
	}
	return hdr, true
}

func unixSpecialBits(mode uint32) fs.FileMode {
	var m fs.FileMode
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
