package limit

import (
	"sync"
	"time"
)

// bucket is a token bucket of bytes: it refills at rate bytes per second
// up to one second's worth, and may go into debt, which later takers wait
// out.
type bucket struct {
	rate   float64 // bytes per second
	now    func() time.Time
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// newBucket returns a full bucket, or nil for an unlimited rate.
func newBucket(rate int64, now func() time.Time) *bucket {
	if rate <= 0 {
		return nil
	}
	return &bucket{rate: float64(rate), now: now, tokens: float64(rate), last: now()}
}

// take spends n bytes and returns how long to wait before using them.
func (b *bucket) take(n int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.rate, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}
