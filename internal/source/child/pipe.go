package child

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the capacity asked for the pipe of a child's output: a dump
// tool writes in small pieces, and a large pipe lets it run ahead while
// the reader is busy, so that each read returns much at once.
const pipeSize = 1 << 20

// pipe returns a pipe for a child's output, enlarged to pipeSize where
// the system allows. Its read end stays in the runtime's poller, so that
// closing it ends a pending read.
func pipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	if rc, err := w.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize) // best effort: the limit may be lower
		})
	}
	return r, w, nil
}
