package local

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Large writes and the background fsyncs go through Linux native AIO
// (io_submit) when the kernel takes them, so that the goroutine waiting for the disk parks
// instead of sitting in a blocking system call. A goroutine in a system
// call keeps its P (its share of GOMAXPROCS) until the runtime's monitor
// takes it back, after 20 µs to 10 ms depending on how recently it last had
// to. On the build VM (2 cores) the uploads' O_DIRECT writes and the
// background fsyncs held a P for 5–9 ms each, while savers had work
// waiting: with AIO a first backup keeps 1.85–1.9 cores busy instead of
// ~1.65 (docs/benchmarks.md).
//
// Completions are signalled on an eventfd that the runtime's poller
// watches; a reaper goroutine runs while requests are in flight. Where
// AIO is missing or refuses a request, the caller makes the blocking call.
type aio struct {
	mu      sync.Mutex
	ctx     uint64   // kernel AIO context; 0 before first use
	efd     *os.File // eventfd, non-blocking, read through the poller
	broken  error    // set up failed or the reaper failed: no more AIO
	waiting map[uint64]chan int64
	seq     uint64
	reaping bool
	reaped  [3]atomic.Int64 // requests completed through AIO, by opcode (for tests)
	slots   chan struct{}   // requests in flight, at most the context's size
}

// aioDepth is the size of the AIO context: requests in flight at once.
const aioDepth = 64

// iocb and ioEvent are the kernel's (include/uapi/linux/aio_abi.h).
type iocb struct {
	data      uint64
	key       uint32
	rwFlags   int32
	opcode    uint16
	reqprio   int16
	fildes    uint32
	buf       uint64
	nbytes    uint64
	offset    int64
	reserved2 uint64
	flags     uint32
	resfd     uint32
}

type ioEvent struct {
	data uint64
	obj  uint64
	res  int64
	res2 int64
}

const (
	iocbCmdPwrite = 1
	iocbCmdFsync  = 2
	iocbFlagResfd = 1 << 0
)

// errNoAIO means the request was not submitted: make the blocking call.
var errNoAIO = errors.New("native aio unavailable")

func newAIO() *aio {
	return &aio{waiting: map[uint64]chan int64{}, slots: make(chan struct{}, aioDepth)}
}

// setup creates the context and the eventfd on first use; they live as
// long as the aio. The caller holds a.mu.
func (a *aio) setup() bool {
	if a.broken != nil {
		return false
	}
	if a.ctx != 0 {
		return true
	}
	var ctx uint64
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, aioDepth, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		a.broken = fmt.Errorf("io_setup: %w", e) // e.g. EAGAIN: fs.aio-max-nr reached
		return false
	}
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		destroyAIO(ctx)
		a.broken = fmt.Errorf("eventfd: %w", err)
		return false
	}
	a.ctx, a.efd = ctx, os.NewFile(uintptr(fd), "aio-eventfd")
	runtime.AddCleanup(a, destroyAIO, ctx) // the eventfd closes itself
	return true
}

func destroyAIO(ctx uint64) { unix.Syscall(unix.SYS_IO_DESTROY, uintptr(ctx), 0, 0) }

// do submits one request and waits for its result: the bytes written for
// a write, 0 for an fsync. It returns errNoAIO when the request was not
// submitted (no AIO here, or not for this file), for the caller to make
// the blocking call. The request's buffer must stay untouched until do
// returns; do returns only once the kernel is done with it.
func (a *aio) do(cb *iocb) (int64, error) {
	a.slots <- struct{}{}
	defer func() { <-a.slots }()
	done, err := a.register(cb)
	if err != nil {
		return 0, err
	}
	cbs := [1]*iocb{cb}
	n, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, uintptr(a.ctx), 1, uintptr(unsafe.Pointer(&cbs[0])))
	if e != 0 || n != 1 {
		a.unregister(cb.data)
		return 0, errNoAIO // EINVAL for a file without AIO, EAGAIN, ...
	}
	res := <-done
	runtime.KeepAlive(cb)
	if res < 0 {
		return 0, unix.Errno(-res)
	}
	a.reaped[cb.opcode].Add(1)
	return res, nil
}

// register gives cb an id and a channel for its result, and starts the
// reaper if none runs.
func (a *aio) register(cb *iocb) (chan int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.setup() {
		return nil, errNoAIO
	}
	a.seq++
	cb.data = a.seq
	cb.flags |= iocbFlagResfd
	cb.resfd = uint32(a.efd.Fd())
	done := make(chan int64, 1)
	a.waiting[cb.data] = done
	if !a.reaping {
		a.reaping = true
		go a.reap()
	}
	return done, nil
}

// unregister forgets a request that was not submitted. If it was the last
// one, the reaper may be waiting on the eventfd for nothing: a tick wakes
// it to see that and stop.
func (a *aio) unregister(id uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.waiting, id)
	if len(a.waiting) == 0 && a.reaping {
		var one [8]byte
		one[0] = 1 // any non-zero count, whatever the byte order
		_, _ = a.efd.Write(one[:])
	}
}

// reap delivers completions until no request is in flight. Should the
// eventfd or io_getevents fail (they cannot, short of a kernel or runtime
// bug), AIO is switched off and the waiters get EIO: their writes fail,
// their temporary files are removed, and nothing is published.
func (a *aio) reap() {
	var buf [8]byte
	var events [aioDepth]ioEvent
	for a.inFlight() {
		_, err := a.efd.Read(buf[:])
		for err == nil {
			var n int
			if n, err = getEvents(a.ctx, events[:]); err != nil || n == 0 {
				break
			}
			a.deliver(events[:n])
		}
		if err != nil {
			a.fail(err)
			return
		}
	}
}

// inFlight reports whether requests are waiting; if none is, the reaper
// stops (the caller is the reaper).
func (a *aio) inFlight() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.waiting) == 0 {
		a.reaping = false
		return false
	}
	return true
}

func getEvents(ctx uint64, events []ioEvent) (int, error) {
	var zero unix.Timespec // do not wait: the eventfd said they are there
	for {
		n, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, uintptr(ctx), 0, uintptr(len(events)),
			uintptr(unsafe.Pointer(&events[0])), uintptr(unsafe.Pointer(&zero)), 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, fmt.Errorf("io_getevents: %w", e)
		}
		return int(n), nil
	}
}

func (a *aio) deliver(events []ioEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ev := range events {
		if ch, ok := a.waiting[ev.data]; ok {
			delete(a.waiting, ev.data)
			ch <- ev.res
		}
	}
}

func (a *aio) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.broken = fmt.Errorf("aio reaper: %w", err)
	for id, ch := range a.waiting {
		delete(a.waiting, id)
		ch <- -int64(unix.EIO)
	}
	a.reaping = false
}

// pwrite writes p at off of fd, through AIO when it can.
func (a *aio) pwrite(f *os.File, p []byte, off int64) (int, error) {
	cb := &iocb{opcode: iocbCmdPwrite, fildes: uint32(f.Fd()), buf: uint64(uintptr(unsafe.Pointer(&p[0]))), nbytes: uint64(len(p)), offset: off}
	n, err := a.do(cb)
	runtime.KeepAlive(p)
	if errors.Is(err, errNoAIO) {
		return f.WriteAt(p, off)
	}
	return int(n), err
}

// sync fsyncs f, through AIO when it can; a nil aio makes the blocking
// call.
func (a *aio) sync(f *os.File) error {
	if a == nil {
		return f.Sync()
	}
	_, err := a.do(&iocb{opcode: iocbCmdFsync, fildes: uint32(f.Fd())})
	if errors.Is(err, errNoAIO) {
		return f.Sync()
	}
	return err
}
