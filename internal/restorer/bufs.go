package restorer

// bufList is a bounded free list of blob buffers. Unlike a sync.Pool it
// keeps its buffers across garbage collections: a fresh multi-MiB buffer
// costs zeroing and page faults, for every blob. It lives as long as one
// restore.
type bufList struct{ free chan *[]byte }

// bufStart is the capacity of a new buffer (the average chunk; buffers
// grow to the largest blob they held).
const bufStart = 1 << 20

func newBufList(n int) bufList { return bufList{free: make(chan *[]byte, n)} }

func (l bufList) get() *[]byte {
	select {
	case b := <-l.free:
		return b
	default:
		b := make([]byte, 0, bufStart)
		return &b
	}
}

func (l bufList) put(b *[]byte) {
	select {
	case l.free <- b:
	default:
	}
}
