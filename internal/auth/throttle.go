package auth

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// ThrottleOptions bound failed logins. Each key (a username, an address)
// has a bucket of Burst failures that refills one failure per Refill; a key
// whose bucket is empty is refused until it refills. Zero values take the
// defaults shown.
type ThrottleOptions struct {
	UserBurst  int           // default 10
	UserRefill time.Duration // default 1 min
	AddrBurst  int           // default 20
	AddrRefill time.Duration // default 6 s
	MaxTracked int           // keys kept at most; default 100,000
}

func (o *ThrottleOptions) defaults() {
	if o.UserBurst <= 0 {
		o.UserBurst = 10
	}
	if o.UserRefill <= 0 {
		o.UserRefill = time.Minute
	}
	if o.AddrBurst <= 0 {
		o.AddrBurst = 20
	}
	if o.AddrRefill <= 0 {
		o.AddrRefill = 6 * time.Second
	}
	if o.MaxTracked <= 0 {
		o.MaxTracked = 100_000
	}
}

// Throttle limits failed logins per address and per (user, address) pair,
// and per user across addresses. Throttled attempts are refused before the
// password is checked, so they neither cost a hash nor count as failures:
// a burst from one address cannot lock the user out of another address
// (the per-user bucket only sees the few attempts each address was allowed).
// It is safe for concurrent use.
type Throttle struct {
	opts    ThrottleOptions
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	fails float64 // failures not yet refilled
	at    time.Time
}

// NewThrottle returns a throttle with opts.
func NewThrottle(opts ThrottleOptions) *Throttle {
	opts.defaults()
	return &Throttle{opts: opts, buckets: map[string]*bucket{}}
}

type limit struct {
	key    string
	burst  int
	refill time.Duration
}

func (t *Throttle) limits(user, addr string) []limit {
	return []limit{
		{"a\x00" + addr, t.opts.AddrBurst, t.opts.AddrRefill},
		{"ua\x00" + user + "\x00" + addr, t.opts.UserBurst, t.opts.UserRefill},
		// Across addresses a user gets 5 times the pair's budget: enough
		// to resist a slow distributed guess without letting one client
		// lock the user out.
		{"u\x00" + user, 5 * t.opts.UserBurst, t.opts.UserRefill / 5},
	}
}

// Attempt returns nil when a login of user from addr may be tried at now,
// and counts it as a failure up front (Succeed takes it back), so that
// concurrent attempts cannot all pass before the first failures are
// recorded. Otherwise it returns a RESOURCE_EXHAUSTED error with
// Details["retry_after_seconds"] and counts nothing.
func (t *Throttle) Attempt(user, addr string, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	limits := t.limits(user, addr)
	for _, l := range limits {
		b := t.buckets[l.key]
		if b == nil {
			continue
		}
		t.refill(b, l, now)
		if over := b.fails + 1 - float64(l.burst); over > 0 {
			wait = max(wait, time.Duration(over*float64(l.refill)))
		}
	}
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		return &arca.Error{Code: arca.CodeResourceExhausted,
			Message: "Too many failed logins: wait " + strconv.Itoa(secs) + " s (see Retry-After), then try again.",
			Details: map[string]string{"retry_after_seconds": strconv.Itoa(secs)}}
	}
	if len(t.buckets) >= t.opts.MaxTracked {
		t.evictLocked(now)
	}
	for _, l := range limits {
		b := t.buckets[l.key]
		if b == nil {
			b = &bucket{at: now}
			t.buckets[l.key] = b
		}
		t.refill(b, l, now)
		b.fails++
	}
	return nil
}

// Succeed records that the attempt of user from addr succeeded: the pair's
// failures are forgotten and the address and the user get back the failure
// Attempt counted.
func (t *Throttle) Succeed(user, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	limits := t.limits(user, addr)
	delete(t.buckets, limits[1].key)
	for _, l := range []limit{limits[0], limits[2]} {
		if b := t.buckets[l.key]; b != nil {
			b.fails = max(0, b.fails-1)
		}
	}
}

func (t *Throttle) refill(b *bucket, l limit, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.fails = max(0, b.fails-float64(d)/float64(l.refill))
		b.at = now
	}
}

// evictLocked drops the buckets that have refilled (at most a few minutes
// old), and if that is not enough, all of them: losing track of failures
// is better than running out of memory under a flood of addresses.
func (t *Throttle) evictLocked(now time.Time) {
	for k, b := range t.buckets {
		if now.Sub(b.at) > 10*time.Minute {
			delete(t.buckets, k)
		}
	}
	if len(t.buckets) >= t.opts.MaxTracked {
		clear(t.buckets)
	}
}
