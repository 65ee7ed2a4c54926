package repo

// freeList is a bounded free list of byte buffers. Buffers circulate
// through it rather than a sync.Pool, because a pool is emptied by every
// GC and a fresh multi-MiB buffer costs page faults.
type freeList chan *[]byte

// get returns a recycled buffer, emptied, or a new one of capacity size.
func (l freeList) get(size int) *[]byte {
	select {
	case b := <-l:
		*b = (*b)[:0]
		return b
	default:
		b := make([]byte, 0, size)
		return &b
	}
}

// put keeps b for a later get, unless the list is full.
func (l freeList) put(b *[]byte) {
	select {
	case l <- b:
	default:
	}
}
