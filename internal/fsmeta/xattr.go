package fsmeta

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/repo/tree"
)

// ReadXattrs returns the extended attributes of path (not following a
// final symlink), sorted by name. A file system without xattr support
// yields none.
func ReadXattrs(path string) ([]tree.Xattr, error) {
	names, err := listXattrs(path)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	xs := make([]tree.Xattr, 0, len(names))
	for _, name := range names {
		v, err := getXattr(path, name)
		if errors.Is(err, unix.ENODATA) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read xattr %q: %w", name, err)
		}
		xs = append(xs, tree.Xattr{Name: name, Value: v})
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i].Name < xs[j].Name })
	return xs, nil
}

func listXattrs(path string) ([]string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Llistxattr(path, buf)
		switch {
		case errors.Is(err, unix.ERANGE):
			size, err := unix.Llistxattr(path, nil)
			if err != nil {
				return nil, fmt.Errorf("list xattrs: %w", err)
			}
			buf = make([]byte, size+64)
			continue
		case errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("list xattrs: %w", err)
		}
		var names []string
		for _, b := range bytes.Split(buf[:n], []byte{0}) {
			if len(b) > 0 {
				names = append(names, string(b))
			}
		}
		return names, nil
	}
}

func getXattr(path, name string) ([]byte, error) {
	buf := make([]byte, 128)
	for {
		n, err := unix.Lgetxattr(path, name, buf)
		if errors.Is(err, unix.ERANGE) {
			size, err := unix.Lgetxattr(path, name, nil)
			if err != nil {
				return nil, err
			}
			buf = make([]byte, size+64)
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		return buf[:n:n], nil
	}
}

// SetXattrs sets the attributes on an open file or directory. It stops at
// the first error, which names the attribute.
func SetXattrs(f *os.File, xs []tree.Xattr) error {
	return setXattrsFd(int(f.Fd()), xs)
}

func setXattrsFd(fd int, xs []tree.Xattr) error {
	for _, x := range xs {
		if err := ignoringEINTR(func() error { return unix.Fsetxattr(fd, x.Name, x.Value, 0) }); err != nil {
			return fmt.Errorf("set xattr %q: %w", x.Name, err)
		}
	}
	return nil
}
