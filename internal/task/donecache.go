package task

import (
	"bytes"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// doneCache keeps recently read finished tasks, so that Get answers them
// without reading the catalog. A finished task never changes; it can only
// be deleted:
//   - by this engine (Delete, retention): the cache is emptied once the
//     catalog's delete has returned, and a read that began before it (and
//     may have seen the task) does not store its result (gen);
//   - by another process sharing the catalog (PostgreSQL): an entry is used
//     for at most ttl after the catalog read it came from, so such a delete
//     shows here within ttl.
//
// An unfinished task is never cached: it is read from the catalog on every
// Get.
type doneCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	gen     uint64 // bumped by every delete
	entries map[string]doneEntry
}

type doneEntry struct {
	task arca.Task
	read time.Time // when the catalog read that gave it began
}

func newDoneCache(ttl time.Duration, max int) *doneCache {
	return &doneCache{ttl: ttl, max: max, entries: map[string]doneEntry{}}
}

// get returns a copy of the cached task id if it was read less than ttl
// before now.
func (c *doneCache) get(id string, now time.Time) (arca.Task, bool) {
	c.mu.Lock()
	e, ok := c.entries[id]
	if ok && now.Sub(e.read) >= c.ttl {
		delete(c.entries, id)
		ok = false
	}
	c.mu.Unlock()
	if !ok {
		return arca.Task{}, false
	}
	return cloneTask(e.task), true
}

// begin returns the generation to pass to put for a catalog read that
// starts now.
func (c *doneCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps t, read from the catalog from time read on, when it is finished
// and no delete has happened since begin returned gen.
func (c *doneCache) put(t arca.Task, gen uint64, read time.Time) {
	if !t.State.IsFinal() || c.max <= 0 {
		return
	}
	t = cloneTask(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.entries[t.ID]; !ok && len(c.entries) >= c.max {
		for id := range c.entries { // evict one, any
			delete(c.entries, id)
			break
		}
	}
	c.entries[t.ID] = doneEntry{task: t, read: read}
}

// deleted forgets every task, after a delete in the catalog.
func (c *doneCache) deleted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// cloneTask returns t with its own copies of everything it refers to, so
// that a caller changing its task cannot change the cached one.
func cloneTask(t arca.Task) arca.Task {
	t.Params = bytes.Clone(t.Params)
	t.Result = bytes.Clone(t.Result)
	t.Warnings = slices.Clone(t.Warnings)
	if t.Error != nil {
		e := *t.Error
		e.Details = maps.Clone(e.Details)
		t.Error = &e
	}
	t.StartedAt = clonePtr(t.StartedAt)
	t.EndedAt = clonePtr(t.EndedAt)
	t.LeaseUntil = clonePtr(t.LeaseUntil)
	return t
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
