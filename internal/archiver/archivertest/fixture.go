package archivertest

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Fixture describes what MakeFixture created.
type Fixture struct {
	// Xattrs is true when the file system took user.* xattrs.
	Xattrs bool
	// Devices is true when device nodes were created (running as root).
	Devices bool
}

// LongName is a 255-byte file name, the longest Linux allows.
var LongName = strings.Repeat("L", 250) + ".long"

// OddName is a name that is not valid UTF-8 and holds a newline and a tab.
const OddName = "odd \xff\xfe\n\tname"

// MakeFixture fills dir with every kind of file the test process can
// create: regular files (empty, small, several chunks, sparse with holes),
// directories with unusual modes, long and odd names, hard links,
// relative, absolute and dangling symlinks, a FIFO, a socket node, user.*
// xattrs where the file system supports them, and block and character
// devices and foreign owners when running as root.
func MakeFixture(t testing.TB, dir string) Fixture {
	t.Helper()
	var fx Fixture
	rng := rand.New(rand.NewPCG(1, 2))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel string, data []byte, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, rel)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, data, mode))
		must(syscall.Chmod(p, uint32(mode))) // raw bits, not masked by umask
	}
	random := func(n int) []byte {
		b := make([]byte, n+8)
		fillRandom(rng, b)
		return b[:n]
	}
	write("empty", nil, 0o644)
	write("small.txt", []byte("hello, arca\n"), 0o600)
	write("big.bin", random(300<<10+17), 0o640)
	write("compressible.log", bytes.Repeat([]byte("2026-11-23 INFO request served in 3ms\n"), 5000), 0o644)
	write("sub/deeper/deepest/file", []byte("deep"), 0o444)
	write("sub/setuid", []byte("#!/bin/sh\n"), 0o4755)
	write(LongName, []byte("long"), 0o644)
	write(OddName, []byte("odd"), 0o644)
	must(os.MkdirAll(filepath.Join(dir, "private"), 0o700))
	must(os.Chmod(filepath.Join(dir, "private"), 0o700))
	must(os.MkdirAll(filepath.Join(dir, "sticky"), 0o755))
	must(syscall.Chmod(filepath.Join(dir, "sticky"), 0o1777))
	must(os.MkdirAll(filepath.Join(dir, "emptydir"), 0o755))
	write("private/secret", []byte("s3cret"), 0o600)

	// sparse: 1 MiB hole, data, 1 MiB hole at the end
	sparse := filepath.Join(dir, "sparse.img")
	f, err := os.Create(sparse)
	must(err)
	_, err = f.WriteAt([]byte("data in the middle"), 1<<20)
	must(err)
	must(f.Truncate(2<<20 + 18))
	must(f.Close())

	// hard links
	write("links/a", []byte("linked content"), 0o644)
	must(os.Link(filepath.Join(dir, "links/a"), filepath.Join(dir, "links/b")))
	must(os.Link(filepath.Join(dir, "links/a"), filepath.Join(dir, "sub/c-link")))

	// symlinks
	must(os.Symlink("small.txt", filepath.Join(dir, "rel-link")))
	must(os.Symlink("/etc/hostname", filepath.Join(dir, "abs-link")))
	must(os.Symlink("does/not/exist", filepath.Join(dir, "dangling-link")))
	must(os.Symlink("../sub", filepath.Join(dir, "links/dir-link")))

	// special files
	must(unix.Mkfifo(filepath.Join(dir, "fifo"), 0o640))
	must(unix.Mknod(filepath.Join(dir, "socket"), unix.S_IFSOCK|0o755, 0))

	// times
	old := time.Date(2001, 2, 3, 4, 5, 6, 789000000, time.UTC)
	must(os.Chtimes(filepath.Join(dir, "small.txt"), old, old))
	must(unix.Lutimes(filepath.Join(dir, "rel-link"), []unix.Timeval{unix.NsecToTimeval(old.UnixNano()), unix.NsecToTimeval(old.UnixNano())}))

	// xattrs
	err = unix.Setxattr(filepath.Join(dir, "small.txt"), "user.arca.test", []byte("value\x00with nul"), 0)
	switch {
	case err == nil:
		fx.Xattrs = true
		must(unix.Setxattr(filepath.Join(dir, "sub"), "user.arca.dir", []byte("d"), 0))
		must(unix.Setxattr(filepath.Join(dir, "empty"), "user.arca.empty", nil, 0))
	case errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM):
	default:
		must(err)
	}

	if os.Geteuid() == 0 {
		fx.Devices = true
		must(unix.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		must(unix.Mknod(filepath.Join(dir, "blockdev"), syscall.S_IFBLK|0o660, int(unix.Mkdev(7, 42))))
		must(os.Lchown(filepath.Join(dir, "sub/setuid"), 1234, 5678))
		must(syscall.Chmod(filepath.Join(dir, "sub/setuid"), 0o4755)) // chown cleared setuid
		must(os.Lchown(filepath.Join(dir, "abs-link"), 4321, 8765))
		must(os.Lchown(filepath.Join(dir, "private"), 1000, 1000))
	}
	return fx
}
