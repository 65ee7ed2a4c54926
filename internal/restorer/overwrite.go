package restorer

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/arcabackup/arca/internal/fsmeta"
	"github.com/arcabackup/arca/internal/repo/tree"
)

// makeDir makes sure p (name in the directory d) is a directory we may
// write into; it reports whether it existed and whether the subtree can be
// restored.
func (r *restore) makeDir(d *dirHandle, p, name string) (existed, ok bool) {
	_, dirfd, err := d.get()
	if err != nil {
		r.rep.fail(p, err)
		return false, false
	}
	err = mkdirat(dirfd, name, 0o700)
	if err == nil {
		return false, true
	}
	if !errors.Is(err, fs.ErrExist) {
		r.rep.fail(p, &os.PathError{Op: "mkdir", Path: p, Err: err})
		return false, false
	}
	fi, err := r.root.Lstat(p)
	switch {
	case err != nil:
		r.rep.fail(p, err)
		return false, false
	case fi.IsDir():
		return true, true
	case r.opts.Overwrite == OverwriteNever:
		r.rep.fail(p, errors.New("exists and is not a directory (overwrite policy: never)"))
		return false, false
	}
	if err := r.root.Remove(p); err != nil {
		r.rep.fail(p, err)
		return false, false
	}
	if err := r.root.Mkdir(p, 0o700); err != nil {
		r.rep.fail(p, err)
		return false, false
	}
	return false, true
}

// create runs mk to create the entry n at p. If something exists there,
// it applies the overwrite policy: it keeps the entry (created=false,
// counted as skipped) or removes it and runs mk once more.
func (r *restore) create(p string, n *tree.Node, mk func() error) (created bool, err error) {
	err = mk()
	if !errors.Is(err, fs.ErrExist) {
		return err == nil, err
	}
	keep, err := r.existing(p, n)
	if err != nil {
		return false, err
	}
	if keep {
		r.skipped(n)
		return false, nil
	}
	return true, mk()
}

// existing applies the overwrite policy to an entry about to be created at
// p: it returns keep=true to leave an existing entry alone, or removes it.
func (r *restore) existing(p string, n *tree.Node) (keep bool, err error) {
	fi, err := r.root.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch r.opts.Overwrite {
	case OverwriteNever:
		return true, nil
	case OverwriteIfChanged:
		if r.unchanged(p, fi, n) {
			return true, nil
		}
	}
	if fi.IsDir() {
		return false, errors.New("exists as a directory")
	}
	return false, r.root.Remove(p)
}

// unchanged reports whether the existing entry at p (lstat fi) already is
// what n describes: a regular file of the same size and mtime, a symlink
// to the same target, or a special file of the same type and device.
func (r *restore) unchanged(p string, fi fs.FileInfo, n *tree.Node) bool {
	switch n.Type {
	case tree.TypeFile:
		return fi.Mode().IsRegular() && uint64(fi.Size()) == n.Size && fi.ModTime().Equal(n.ModTime)
	case tree.TypeSymlink:
		if fi.Mode()&fs.ModeSymlink == 0 {
			return false
		}
		target, err := r.root.Readlink(p)
		return err == nil && target == n.LinkTarget
	case tree.TypeDevice, tree.TypeCharDev, tree.TypeFIFO, tree.TypeSocket:
		st, ok := fi.Sys().(*syscall.Stat_t)
		return ok && fsmeta.TypeOf(st.Mode) == n.Type && st.Rdev == n.Device
	}
	return false
}

// mkdirat is unix.Mkdirat, retried on EINTR.
func mkdirat(dirfd int, name string, mode uint32) error {
	for {
		if err := unix.Mkdirat(dirfd, name, mode); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func (r *restore) skipped(*tree.Node) {
	r.rep.add(func(res *Result) { res.Skipped++ })
}
