package task

import (
	"context"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
)

// Event is one observed state of a task. Seq increases with every event of
// a task; clients resume a stream after the last Seq they saw.
type Event struct {
	Seq  int64
	Task arca.Task
}

// broker fans task updates out to in-process watchers. A slow watcher never
// blocks a publisher: it keeps only the newest update it has not read yet.
type broker struct {
	mu   sync.Mutex
	subs map[string]map[*mailbox]struct{}
}

// mailbox holds the newest unread task state of one subscription.
type mailbox struct {
	mu     sync.Mutex
	latest *arca.Task
	notify chan struct{}
}

func newBroker() *broker { return &broker{subs: map[string]map[*mailbox]struct{}{}} }

func (b *broker) subscribe(id string) *mailbox {
	m := &mailbox{notify: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.subs[id] == nil {
		b.subs[id] = map[*mailbox]struct{}{}
	}
	b.subs[id][m] = struct{}{}
	b.mu.Unlock()
	return m
}

func (b *broker) unsubscribe(id string, m *mailbox) {
	b.mu.Lock()
	delete(b.subs[id], m)
	if len(b.subs[id]) == 0 {
		delete(b.subs, id)
	}
	b.mu.Unlock()
}

func (b *broker) publish(t arca.Task) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for m := range b.subs[t.ID] {
		m.mu.Lock()
		tc := t
		m.latest = &tc
		m.mu.Unlock()
		select {
		case m.notify <- struct{}{}:
		default:
		}
	}
}

func (m *mailbox) take() *arca.Task {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.latest
	m.latest = nil
	return t
}

// watchPoll is how often a watcher re-reads the catalog, to see changes made
// by other processes.
const watchPoll = time.Second

// localPollEvery: a watcher of a task this process runs polls only every
// this many watchPoll ticks.
const localPollEvery = 10

// Watch streams the states of a task: first its current state (if its Seq is
// above after), then every change, until the task ends (the terminal state is
// the last event) or ctx ends. Updates made in this process arrive at once;
// updates from other processes within about a second.
func (e *Engine) Watch(ctx context.Context, id string, after int64) (<-chan Event, error) {
	if err := arca.CheckID("task", id); err != nil {
		return nil, err
	}
	m := e.broker.subscribe(id)
	t, err := e.store.GetTask(ctx, id)
	if err != nil {
		e.broker.unsubscribe(id, m)
		return nil, err
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		defer e.broker.unsubscribe(id, m)
		w := watcher{out: out, last: after}
		if !w.send(ctx, t) || t.State.IsFinal() {
			return
		}
		tick := time.NewTicker(watchPoll)
		defer tick.Stop()
		ticks := 0
		for {
			var next *arca.Task
			select {
			case <-ctx.Done():
				return
			case <-m.notify:
				next = m.take()
			case <-tick.C:
				// A task this process runs publishes its changes to the
				// broker: poll it only now and then (in case it lost its
				// lease to another process).
				if ticks++; w.local(e) && ticks%localPollEvery != 0 {
					continue
				}
				if fresh, err := e.store.GetTask(ctx, id); err == nil && fresh.UpdatedAt.After(w.lastUpdated) {
					next = &fresh
				}
			}
			if next == nil {
				continue
			}
			if !w.send(ctx, *next) || next.State.IsFinal() {
				return
			}
		}
	}()
	return out, nil
}

// watcher numbers the events of one stream.
type watcher struct {
	out         chan<- Event
	last        int64
	lastUpdated time.Time
	lastState   arca.TaskState
	lastWorker  string
	sent        bool
}

// local reports whether the task was last seen running in this process,
// which publishes every change of it to the broker: then the stream need
// not poll the catalog. A task another process (or nobody) runs is polled.
func (w *watcher) local(e *Engine) bool {
	return w.lastWorker == e.opts.WorkerID && (w.lastState == arca.TaskRunning || w.lastState == arca.TaskCanceling)
}

// send emits t unless it is older than what was sent; it reports whether the
// stream goes on.
func (w *watcher) send(ctx context.Context, t arca.Task) bool {
	seq := t.UpdatedAt.UnixNano()
	if w.sent && seq <= w.last && t.State == w.lastState {
		return true // nothing newer
	}
	w.lastWorker = t.Worker
	if !w.sent && seq <= w.last && !t.State.IsFinal() {
		w.sent, w.lastUpdated, w.lastState = true, t.UpdatedAt, t.State
		return true // the client saw this already
	}
	if seq <= w.last {
		seq = w.last + 1
	}
	select {
	case w.out <- Event{Seq: seq, Task: t}:
	case <-ctx.Done():
		return false
	}
	w.last, w.sent, w.lastUpdated, w.lastState = seq, true, t.UpdatedAt, t.State
	return true
}
