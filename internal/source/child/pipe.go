package child

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the capacity asked for the pipe of a child's output: a dump
// tool writes in small pieces, and a large pipe lets it run ahead while
// the reader is busy, so that each read returns much at once.
const pipeSize = 1 << 20

// pipe returns a pipe whose read end is in blocking mode: a read is one
// system call, not a round through the runtime's poller for every few
// kilobytes the child writes (3 to 4 times faster for a dump read to the
// end, more on a busy machine). Reads tie up a thread, which a stream's
// one reader may.
func pipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	_, _ = unix.FcntlInt(uintptr(fds[0]), unix.F_SETPIPE_SZ, pipeSize) // best effort: the limit may be lower
	return os.NewFile(uintptr(fds[0]), "|0"), os.NewFile(uintptr(fds[1]), "|1"), nil
}
