package task_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/task"
)

const opWork arca.Operation = "work"

// harness is one catalog plus helpers to build engines over it.
type harness struct {
	t     *testing.T
	store catalog.Store
}

func (h *harness) engine(opts task.Options, handlers map[arca.Operation]task.Handler) *task.Engine {
	h.t.Helper()
	if opts.Poll == 0 {
		opts.Poll = 20 * time.Millisecond
	}
	if opts.ProgressInterval == 0 {
		opts.ProgressInterval = 50 * time.Millisecond
	}
	e := task.New(h.store, opts)
	for op, hd := range handlers {
		e.Register(op, hd)
	}
	return e
}

func (h *harness) start(e *task.Engine) {
	h.t.Helper()
	if err := e.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
}

// waitEnd waits for a task to end and returns it.
func waitEnd(t *testing.T, e *task.Engine, id string) arca.Task {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got, err := e.Wait(context.Background(), id, 5*time.Second)
		if err != nil {
			t.Fatalf("wait %s: %v", id, err)
		}
		if got.State.IsFinal() {
			return got
		}
	}
	t.Fatalf("task %s did not end", id)
	return arca.Task{}
}

// waitState polls until the task reaches state.
func waitState(t *testing.T, e *task.Engine, id string, state arca.TaskState) arca.Task {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got, err := e.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == state {
			return got
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
	t.Fatalf("task %s never reached %s", id, state)
	return arca.Task{}
}

func quick(result string) task.Handler {
	return task.Handler{Run: func(ctx context.Context, _ arca.Task, r *task.Reporter) (task.Outcome, error) {
		r.Update(arca.Progress{Phase: "work", ItemsDone: 1, ItemsTotal: 1})
		return task.Outcome{Result: map[string]string{"said": result}, ResultType: "echo"}, nil
	}}
}

// gate is a handler that runs until released or canceled.
type gate struct {
	started chan string
	release chan struct{}
	cause   atomic.Value
}

func newGate() *gate { return &gate{started: make(chan string, 100), release: make(chan struct{})} }

func (g *gate) handler(resumable bool) task.Handler {
	return task.Handler{Resumable: resumable, Run: func(ctx context.Context, t arca.Task, r *task.Reporter) (task.Outcome, error) {
		g.started <- t.ID
		select {
		case <-g.release:
			return task.Outcome{}, nil
		case <-ctx.Done():
			g.cause.Store(context.Cause(ctx))
			return task.Outcome{}, context.Cause(ctx)
		}
	}}
}

func runEngineSuite(t *testing.T, open func(t *testing.T) catalog.Store) {
	tests := map[string]func(t *testing.T, h *harness){
		"RunsToSuccess":          testRunsToSuccess,
		"HandlerErrorFails":      testHandlerErrorFails,
		"CancelQueued":           testCancelQueued,
		"CancelRunning":          testCancelRunning,
		"CancelBlocked":          testCancelBlocked,
		"ExclusiveRefuse":        testExclusiveRefuse,
		"ExclusiveWait":          testExclusiveWait,
		"BatchStates":            testBatchStates,
		"BatchCancelCascades":    testBatchCancelCascades,
		"RescueExpiredLease":     testRescueExpiredLease,
		"RescueAtSingleStart":    testRescueAtSingleStart,
		"ShutdownInterrupts":     testShutdownInterrupts,
		"ProgressPersistBounded": testProgressPersistBounded,
		"WatchSeesProgress":      testWatchSeesProgress,
		"Retention":              testRetention,
		"Idempotency":            testIdempotency,
		"UnknownOperation":       testUnknownOperation,
		"FinishedCache":          testFinishedCache,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			fn(t, &harness{t: t, store: open(t)})
		})
	}
}

func testRunsToSuccess(t *testing.T, h *harness) {
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: quick("hi")})
	h.start(e)
	sub, replayed, err := e.Submit(context.Background(), task.Spec{Operation: opWork, RequestID: "req-1", Target: arca.Target{Type: "thing", ID: "x"}})
	if err != nil || replayed {
		t.Fatalf("submit: %v %v", err, replayed)
	}
	if sub.State != arca.TaskQueued {
		t.Errorf("new task state = %s, want queued", sub.State)
	}
	got := waitEnd(t, e, sub.ID)
	if got.State != arca.TaskSucceeded || got.ResultType != "echo" || string(got.Result) != `{"said":"hi"}` {
		t.Errorf("ended %s %s %s", got.State, got.ResultType, got.Result)
	}
	if got.Progress.Percent != 100 || got.StartedAt == nil || got.EndedAt == nil || got.RequestID != "req-1" || got.Attempt != 1 {
		t.Errorf("bad end record: %+v", got)
	}
}

func testHandlerErrorFails(t *testing.T, h *harness) {
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{
		opWork: {Run: func(context.Context, arca.Task, *task.Reporter) (task.Outcome, error) {
			return task.Outcome{}, arca.Errorf(arca.CodeUnavailable, "The thing is down.")
		}},
		"boom": {Run: func(context.Context, arca.Task, *task.Reporter) (task.Outcome, error) { panic("kaboom") }},
	})
	h.start(e)
	a, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork})
	b, _, _ := e.Submit(context.Background(), task.Spec{Operation: "boom"})
	if got := waitEnd(t, e, a.ID); got.State != arca.TaskFailed || got.Error == nil || got.Error.Code != arca.CodeUnavailable || got.Error.Message != "The thing is down." {
		t.Errorf("coded failure recorded as %s %+v", got.State, got.Error)
	}
	if got := waitEnd(t, e, b.ID); got.State != arca.TaskFailed || got.Error == nil || got.Error.Code != arca.CodeInternal {
		t.Errorf("panic recorded as %s %+v", got.State, got.Error)
	}
}

func testCancelQueued(t *testing.T, h *harness) {
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: quick("")})
	// not started: the task stays queued
	sub, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork})
	got, err := e.Cancel(context.Background(), sub.ID)
	if err != nil || got.State != arca.TaskCanceled {
		t.Fatalf("cancel queued: %v %s", err, got.State)
	}
	if _, err := e.Cancel(context.Background(), sub.ID); !errors.Is(err, arca.ErrNotAllowed) {
		t.Errorf("cancel of a canceled task: %v, want NOT_ALLOWED_IN_CURRENT_STATE", err)
	}
	h.start(e)
	if got := waitEnd(t, e, sub.ID); got.State != arca.TaskCanceled {
		t.Errorf("terminal state changed to %s", got.State)
	}
}

func testCancelRunning(t *testing.T, h *harness) {
	g := newGate()
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: g.handler(false)})
	h.start(e)
	sub, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork})
	<-g.started
	if _, err := e.Cancel(context.Background(), sub.ID); err != nil {
		t.Fatal(err)
	}
	got := waitEnd(t, e, sub.ID)
	if got.State != arca.TaskCanceled || got.Error == nil || got.Error.Code != arca.CodeCanceled {
		t.Errorf("canceled running task ended %s %+v", got.State, got.Error)
	}
	if c, _ := g.cause.Load().(error); !errors.Is(c, task.ErrCancelRequested) {
		t.Errorf("handler context cause = %v", c)
	}
}

func testCancelBlocked(t *testing.T, h *harness) {
	g := newGate()
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: g.handler(false)})
	h.start(e)
	first, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork, ExclusiveKey: "k"})
	<-g.started
	second, _, err := e.Submit(context.Background(), task.Spec{Operation: opWork, ExclusiveKey: "k", WaitForKey: true})
	if err != nil || second.State != arca.TaskBlocked || second.BlockedReason == "" {
		t.Fatalf("second: %v %s %q", err, second.State, second.BlockedReason)
	}
	if got, err := e.Cancel(context.Background(), second.ID); err != nil || got.State != arca.TaskCanceled {
		t.Fatalf("cancel blocked: %v %s", err, got.State)
	}
	close(g.release)
	if got := waitEnd(t, e, first.ID); got.State != arca.TaskSucceeded {
		t.Errorf("first ended %s", got.State)
	}
}

func testExclusiveRefuse(t *testing.T, h *harness) {
	g := newGate()
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: g.handler(false)})
	h.start(e)
	first, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork, ExclusiveKey: "source:1"})
	_, _, err := e.Submit(context.Background(), task.Spec{Operation: opWork, ExclusiveKey: "source:1"})
	var ae *arca.Error
	if !errors.As(err, &ae) || ae.Code != arca.CodeFeatureInUse || ae.Details["task_id"] != first.ID {
		t.Fatalf("second submit: %v, want FEATURE_IN_USE naming %s", err, first.ID)
	}
	close(g.release)
	waitEnd(t, e, first.ID)
	third, _, err := e.Submit(context.Background(), task.Spec{Operation: opWork, ExclusiveKey: "source:1"})
	if err != nil {
		t.Fatalf("key not released after the holder ended: %v", err)
	}
	waitEnd(t, e, third.ID)
}

func testExclusiveWait(t *testing.T, h *harness) {
	g := newGate()
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: g.handler(false)})
	h.start(e)
	first, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork, ExclusiveKey: "prune:r"})
	<-g.started
	second, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork, ExclusiveKey: "prune:r", WaitForKey: true})
	if second.State != arca.TaskBlocked {
		t.Fatalf("second state %s, want blocked", second.State)
	}
	g.release <- struct{}{} // first ends
	if got := waitEnd(t, e, first.ID); got.State != arca.TaskSucceeded {
		t.Fatalf("first %s", got.State)
	}
	if id := <-g.started; id != second.ID {
		t.Fatalf("started %s, want the blocked task %s", id, second.ID)
	}
	close(g.release)
	if got := waitEnd(t, e, second.ID); got.State != arca.TaskSucceeded {
		t.Errorf("second %s", got.State)
	}
}

func testBatchStates(t *testing.T, h *harness) {
	fail := task.Handler{Run: func(context.Context, arca.Task, *task.Reporter) (task.Outcome, error) {
		return task.Outcome{}, errors.New("nope")
	}}
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: quick("ok"), "fail": fail, "batch": quick("")})
	h.start(e)
	cases := []struct {
		ops  []arca.Operation
		want arca.TaskState
	}{
		{[]arca.Operation{opWork, opWork, opWork}, arca.TaskSucceeded},
		{[]arca.Operation{opWork, "fail", opWork}, arca.TaskPartiallySucceeded},
		{[]arca.Operation{"fail", "fail"}, arca.TaskFailed},
	}
	for _, c := range cases {
		var kids []task.Spec
		for _, op := range c.ops {
			kids = append(kids, task.Spec{Operation: op})
		}
		p, jobs, _, err := e.SubmitBatch(context.Background(), task.Spec{Operation: "batch"}, kids)
		if err != nil || len(jobs) != len(c.ops) {
			t.Fatalf("batch: %v %d", err, len(jobs))
		}
		for _, j := range jobs {
			if j.Parent != p.ID {
				t.Errorf("job %s parent %q", j.ID, j.Parent)
			}
		}
		if got := waitEnd(t, e, p.ID); got.State != c.want {
			t.Errorf("batch %v ended %s, want %s", c.ops, got.State, c.want)
		}
	}
}

func testBatchCancelCascades(t *testing.T, h *harness) {
	g := newGate()
	e := h.engine(task.Options{Workers: 1}, map[arca.Operation]task.Handler{opWork: g.handler(false), "batch": quick("")})
	h.start(e)
	p, jobs, _, err := e.SubmitBatch(context.Background(), task.Spec{Operation: "batch"},
		[]task.Spec{{Operation: opWork}, {Operation: opWork}, {Operation: opWork}})
	if err != nil {
		t.Fatal(err)
	}
	<-g.started // one runs, two wait queued (one worker)
	if _, err := e.Cancel(context.Background(), p.ID); err != nil {
		t.Fatal(err)
	}
	if got := waitEnd(t, e, p.ID); got.State != arca.TaskCanceled {
		t.Errorf("parent ended %s, want canceled", got.State)
	}
	for _, j := range jobs {
		if got := waitEnd(t, e, j.ID); got.State != arca.TaskCanceled {
			t.Errorf("job %s ended %s", j.ID, got.State)
		}
	}
}

// claimAsDeadWorker makes a task look like it was running in a process that
// died: claimed under another worker id with a lease that ends at leaseEnd.
func claimAsDeadWorker(t *testing.T, h *harness, e *task.Engine, op arca.Operation, leaseEnd time.Time) arca.Task {
	t.Helper()
	sub, _, err := e.Submit(context.Background(), task.Spec{Operation: op})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.store.ClaimTasks(context.Background(), "dead-worker", []arca.Operation{op}, 1, time.Now(), leaseEnd)
	if err != nil || len(got) != 1 || got[0].ID != sub.ID {
		t.Fatalf("claim as dead worker: %v %v", err, got)
	}
	return got[0]
}

func testRescueExpiredLease(t *testing.T, h *harness) {
	e := h.engine(task.Options{Lease: 300 * time.Millisecond}, map[arca.Operation]task.Handler{
		opWork: quick("again"), "once": quick("never"),
	})
	e.Register("once", task.Handler{Resumable: false, Run: quick("x").Run})
	e.Register(opWork, task.Handler{Resumable: true, Run: quick("again").Run})
	resumable := claimAsDeadWorker(t, h, e, opWork, time.Now().Add(200*time.Millisecond))
	oneShot := claimAsDeadWorker(t, h, e, "once", time.Now().Add(200*time.Millisecond))
	h.start(e)
	if got := waitEnd(t, e, resumable.ID); got.State != arca.TaskSucceeded || got.Attempt != 2 {
		t.Errorf("resumable task after rescue: %s attempt %d, want succeeded on attempt 2", got.State, got.Attempt)
	}
	got := waitEnd(t, e, oneShot.ID)
	if got.State != arca.TaskFailed || got.Error == nil || got.Error.Code != arca.CodeInterrupted {
		t.Errorf("non-resumable task after rescue: %s %+v, want failed INTERRUPTED", got.State, got.Error)
	}
}

func testRescueAtSingleStart(t *testing.T, h *harness) {
	e := h.engine(task.Options{SingleProcess: true}, map[arca.Operation]task.Handler{opWork: quick("")})
	// the lease is still valid for an hour, but in a single-process catalog
	// nobody else can hold it: a new process rescues it at once
	dead := claimAsDeadWorker(t, h, e, opWork, time.Now().Add(time.Hour))
	h.start(e)
	if got, _ := e.Get(context.Background(), dead.ID); got.State == arca.TaskRunning && got.Worker == "dead-worker" {
		t.Fatalf("task still running under the dead worker after Start")
	}
	got := waitEnd(t, e, dead.ID)
	if got.State != arca.TaskFailed || got.Error.Code != arca.CodeInterrupted {
		t.Errorf("rescued task ended %s %+v", got.State, got.Error)
	}
}

func testShutdownInterrupts(t *testing.T, h *harness) {
	g := newGate()
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: g.handler(false), "resumable": g.handler(true)})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork})
	b, _, _ := e.Submit(context.Background(), task.Spec{Operation: "resumable"})
	<-g.started
	<-g.started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Get(context.Background(), a.ID); got.State != arca.TaskFailed || got.Error.Code != arca.CodeInterrupted {
		t.Errorf("non-resumable after shutdown: %s %+v", got.State, got.Error)
	}
	if got, _ := e.Get(context.Background(), b.ID); got.State != arca.TaskQueued {
		t.Errorf("resumable after shutdown: %s, want queued", got.State)
	}
}

// countingStore counts progress writes: the seam under test.
type countingStore struct {
	catalog.Store
	writes atomic.Int64
}

func (c *countingStore) UpdateProgress(ctx context.Context, id string, p arca.Progress, now time.Time) error {
	c.writes.Add(1)
	return c.Store.UpdateProgress(ctx, id, p, now)
}

func testProgressPersistBounded(t *testing.T, h *harness) {
	cs := &countingStore{Store: h.store}
	e := task.New(cs, task.Options{Poll: 20 * time.Millisecond, ProgressInterval: 100 * time.Millisecond})
	var maxSeen atomic.Int64
	e.Register(opWork, task.Handler{Run: func(ctx context.Context, _ arca.Task, r *task.Reporter) (task.Outcome, error) {
		deadline := time.Now().Add(time.Second)
		for i := 0; time.Now().Before(deadline); i++ {
			r.Update(arca.Progress{Phase: "spin", ItemsDone: int64(i % 1000), ItemsTotal: 1000})
			maxSeen.Store(int64(i))
		}
		return task.Outcome{}, nil
	}})
	h.start(e)
	sub, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork})
	got := waitEnd(t, e, sub.ID)
	updates, writes := maxSeen.Load(), cs.writes.Load()
	t.Logf("%d progress updates, %d catalog writes", updates, writes)
	// one second at one write per 100 ms: about 10, never thousands
	if updates < 1000 || writes > 15 {
		t.Errorf("%d progress updates caused %d catalog writes; want >= 1000 updates and <= 15 writes", updates, writes)
	}
	if got.Progress.Percent != 100 {
		t.Errorf("final percent %v", got.Progress.Percent)
	}
}

func testWatchSeesProgress(t *testing.T, h *harness) {
	step := make(chan struct{})
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: {Run: func(ctx context.Context, _ arca.Task, r *task.Reporter) (task.Outcome, error) {
		for i := 1; i <= 3; i++ {
			<-step
			r.Update(arca.Progress{Phase: "step", ItemsDone: int64(i), ItemsTotal: 3})
		}
		return task.Outcome{}, nil
	}}})
	sub, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork})
	events, err := e.Watch(context.Background(), sub.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.start(e)
	var last int64
	var percents []float64
	go func() {
		for i := 0; i < 3; i++ {
			step <- struct{}{}
		}
	}()
	var final arca.Task
	for ev := range events {
		if ev.Seq <= last {
			t.Errorf("seq went from %d to %d", last, ev.Seq)
		}
		last = ev.Seq
		percents = append(percents, ev.Task.Progress.Percent)
		final = ev.Task
	}
	if final.State != arca.TaskSucceeded {
		t.Errorf("stream ended on %s, want the terminal state", final.State)
	}
	for i := 1; i < len(percents); i++ {
		if percents[i] < percents[i-1] {
			t.Errorf("percent went back: %v", percents)
		}
	}
	// resuming after the last event of a finished task gives just the end
	again, _ := e.Watch(context.Background(), sub.ID, last)
	n := 0
	for ev := range again {
		n++
		if !ev.Task.State.IsFinal() {
			t.Errorf("resumed stream sent %s", ev.Task.State)
		}
	}
	if n != 1 {
		t.Errorf("resumed stream sent %d events, want 1", n)
	}
}

func testRetention(t *testing.T, h *harness) {
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: quick("")})
	h.start(e)
	sub, _, _ := e.Submit(context.Background(), task.Spec{Operation: opWork})
	waitEnd(t, e, sub.ID)
	// a later process, 31 days on, deletes it at start
	later := task.New(h.store, task.Options{Now: func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }})
	h.start(later)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.Get(context.Background(), sub.ID)
		if errors.Is(err, arca.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("finished task not deleted after retention: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testIdempotency(t *testing.T, h *harness) {
	e := h.engine(task.Options{}, map[arca.Operation]task.Handler{opWork: quick("")})
	spec := task.Spec{Operation: opWork, IdempotencyKey: "key-1", RequestHash: "h1", Params: json.RawMessage(`{"a":1}`)}
	a, replayed, err := e.Submit(context.Background(), spec)
	if err != nil || replayed {
		t.Fatal(err, replayed)
	}
	b, replayed, err := e.Submit(context.Background(), spec)
	if err != nil || !replayed || b.ID != a.ID {
		t.Fatalf("replay: %v %v %s vs %s", err, replayed, b.ID, a.ID)
	}
	spec.RequestHash = "h2"
	_, _, err = e.Submit(context.Background(), spec)
	if arca.ErrorCode(err) != arca.CodeIdempotencyKeyReused {
		t.Errorf("other body, same key: %v", err)
	}
}

func testUnknownOperation(t *testing.T, h *harness) {
	e := h.engine(task.Options{}, nil)
	if _, _, err := e.Submit(context.Background(), task.Spec{Operation: "nope"}); !errors.Is(err, arca.ErrInvalidArgument) {
		t.Errorf("unknown operation: %v", err)
	}
}

// runExactlyOnce starts several engines (as several processes would) over
// stores and checks that every task runs exactly once.
func runExactlyOnce(t *testing.T, stores []catalog.Store) {
	const n = 200
	var mu sync.Mutex
	runs := map[string]int{}
	h := task.Handler{Run: func(ctx context.Context, tk arca.Task, r *task.Reporter) (task.Outcome, error) {
		mu.Lock()
		runs[tk.ID]++
		mu.Unlock()
		return task.Outcome{}, nil
	}}
	var engines []*task.Engine
	for i, s := range stores {
		e := task.New(s, task.Options{Workers: 4, Poll: 10 * time.Millisecond, WorkerID: "w" + string(rune('a'+i))})
		e.Register(opWork, h)
		engines = append(engines, e)
	}
	var ids []string
	for i := 0; i < n; i++ {
		sub, _, err := engines[i%len(engines)].Submit(context.Background(), task.Spec{Operation: opWork})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.ID)
	}
	for _, e := range engines {
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer e.Stop(context.Background())
	}
	for _, id := range ids {
		if got := waitEnd(t, engines[0], id); got.State != arca.TaskSucceeded {
			t.Errorf("%s ended %s", id, got.State)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if runs[id] != 1 {
			t.Errorf("task %s ran %d times", id, runs[id])
		}
	}
}
