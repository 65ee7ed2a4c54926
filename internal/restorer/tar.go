package restorer

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// WriteTar writes the tree (or the subtree opts.Path) to w as a tar
// archive: PAX headers where needed (long names, sub-second times,
// xattrs as SCHILY.xattr records), GNU headers for names that are not
// UTF-8, hard links as link entries, devices and FIFOs as such. Sockets
// and unsafe names are left out and listed in the result. A blob that
// fails verification ends the stream with an error naming the file.
func (rs *Restorer) WriteTar(ctx context.Context, w io.Writer, root repo.ID, opts StreamOptions) (*Result, error) {
	s := &streamer{repo: rs.repo}
	tw := tar.NewWriter(w)
	firsts := map[inodeKey]string{}
	err := s.walk(ctx, root, opts, func(p string, n *tree.Node) error {
		hdr, ok := tarHeader(p, n)
		if !ok {
			s.rep.fail(p, fmt.Errorf("a %v cannot be stored in a tar archive", n.Type))
			return nil
		}
		if n.Type == tree.TypeFile && n.Links > 1 && n.Inode != 0 {
			key := inodeKey{n.DeviceID, n.Inode}
			if first, seen := firsts[key]; seen {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				firsts[key] = p
			}
		}
		if err := writeTarHeader(tw, hdr); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		s.rep.add(func(r *Result) { count(r, n, hdr.Typeflag == tar.TypeLink) })
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		s.rep.add(func(r *Result) { r.Bytes += n.Size })
		return s.copyContent(ctx, tw, p, n)
	})
	if err == nil {
		err = tw.Close()
	}
	res := s.rep.res
	if err != nil {
		return &res, fmt.Errorf("write tar: %w", err)
	}
	return &res, nil
}

func count(r *Result, n *tree.Node, link bool) {
	switch {
	case link:
		r.Links++
	case n.Type == tree.TypeFile:
		r.Files++
	case n.Type == tree.TypeDir:
		r.Dirs++
	default:
		r.Others++
	}
}

func tarHeader(p string, n *tree.Node) (*tar.Header, bool) {
	hdr := &tar.Header{
		Name:    p,
		Mode:    int64(n.Mode),
		Uid:     int(n.UID),
		Gid:     int(n.GID),
		Uname:   n.User,
		Gname:   n.Group,
		ModTime: n.ModTime,
	}
	switch n.Type {
	case tree.TypeFile:
		hdr.Typeflag, hdr.Size = tar.TypeReg, int64(n.Size)
	case tree.TypeDir:
		hdr.Typeflag, hdr.Name = tar.TypeDir, p+"/"
	case tree.TypeSymlink:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, n.LinkTarget
	case tree.TypeCharDev, tree.TypeDevice:
		hdr.Typeflag = tar.TypeChar
		if n.Type == tree.TypeDevice {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(n.Device)), int64(unix.Minor(n.Device))
	case tree.TypeFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return nil, false
	}
	if len(n.Xattrs) > 0 {
		hdr.PAXRecords = map[string]string{}
		for _, x := range n.Xattrs {
			hdr.PAXRecords["SCHILY.xattr."+x.Name] = string(x.Value)
		}
	}
	return hdr, true
}

// writeTarHeader writes hdr in the format the tar package picks; a header
// PAX cannot carry (a name that is not UTF-8) goes out in GNU format,
// without xattrs.
func writeTarHeader(tw *tar.Writer, hdr *tar.Header) error {
	err := tw.WriteHeader(hdr)
	if !errors.Is(err, tar.ErrHeader) {
		return err
	}
	gnu := *hdr
	gnu.Format, gnu.PAXRecords = tar.FormatGNU, nil
	if gerr := tw.WriteHeader(&gnu); gerr != nil {
		return fmt.Errorf("%w (also as GNU: %v)", err, gerr)
	}
	return nil
}
