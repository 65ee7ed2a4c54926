// Package task is Arca's asynchronous task engine: it creates tasks in the
// catalog, lets workers in one or several processes claim them under leases
// renewed by heartbeat, runs the registered handler of each operation,
// pushes progress to watchers at once while persisting it at a bounded rate,
// cancels cooperatively (cascading to a batch's children), derives a batch
// parent's state from its children, rescues tasks whose lease expired, and
// deletes finished tasks after a retention period.
//
// The engine is the only code that moves a task from one state to another.
package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// Handler runs one operation.
type Handler struct {
	// Run does the work. Its context is canceled when a cancel is requested
	// (context.Cause is ErrCancelRequested) or when the engine stops
	// (ErrShutdown). It reports progress through r.
	Run func(ctx context.Context, t arca.Task, r *Reporter) (Outcome, error)
	// Resumable says a task interrupted by a crash or shutdown may be run
	// again from the start (or from its own checkpoint): it is re-queued
	// instead of failed with INTERRUPTED.
	Resumable bool
}

// Outcome is what a successful handler returns.
type Outcome struct {
	Result     any
	ResultType string
	Warnings   []string
	// Partial marks work that succeeded only in part.
	Partial bool
}

// Sentinel causes of a handler's context cancellation.
var (
	ErrCancelRequested = errors.New("cancel requested")
	ErrShutdown        = errors.New("engine shutting down")
)

// Options configure an Engine. Zero values take the defaults shown.
type Options struct {
	WorkerID  string        // default: hostname-pid-random
	Workers   int           // concurrent tasks in this process, default 4
	Lease     time.Duration // default 30 s
	Heartbeat time.Duration // default Lease/3
	Poll      time.Duration // how often to look for work from other processes, default 500 ms
	Retention time.Duration // finished tasks kept this long, default 30 days
	// ProgressInterval bounds progress writes per task, default 1 s.
	ProgressInterval time.Duration
	// FinishedTTL is how long Get answers a finished task from memory
	// after reading it from the catalog, default 1 s; negative: never.
	// It bounds how long a task deleted by another process sharing the
	// catalog may still be returned (deletes by this engine show at once).
	FinishedTTL time.Duration
	// FinishedCache is how many finished tasks Get keeps, default 4096.
	FinishedCache int
	// SingleProcess says no other process shares the catalog (SQLite): at
	// start every running task is from a dead process and is rescued at once.
	SingleProcess bool
	Logger        *slog.Logger
	Now           func() time.Time
}

func (o *Options) defaults() {
	if o.WorkerID == "" {
		host, _ := os.Hostname()
		o.WorkerID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), arca.NewID(time.Now())[24:])
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = o.Lease / 3
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = time.Second
	}
	if o.FinishedTTL == 0 {
		o.FinishedTTL = time.Second
	}
	if o.FinishedCache == 0 {
		o.FinishedCache = 4096
	}
	if o.FinishedTTL < 0 {
		o.FinishedCache = 0
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Engine runs tasks. Create it with New, Register handlers, then Start.
type Engine struct {
	store    catalog.TaskStore
	opts     Options
	log      *slog.Logger
	handlers map[arca.Operation]Handler
	broker   *broker
	done     *doneCache // finished tasks Get read recently

	wake chan struct{}

	mu       sync.Mutex
	runs     map[string]*run // tasks running in this process
	started  bool
	stop     context.CancelCauseFunc // stops the loops
	hardStop context.CancelCauseFunc // cancels running handlers
	wg       sync.WaitGroup          // loops
	runWG    sync.WaitGroup          // handlers
}

// run is one task running in this process.
type run struct {
	task     arca.Task
	cancel   context.CancelCauseFunc
	reporter *Reporter
}

// New returns an engine over store.
func New(store catalog.TaskStore, opts Options) *Engine {
	opts.defaults()
	return &Engine{
		store:    store,
		opts:     opts,
		log:      opts.Logger.With("worker", opts.WorkerID),
		handlers: map[arca.Operation]Handler{},
		broker:   newBroker(),
		done:     newDoneCache(opts.FinishedTTL, opts.FinishedCache),
		wake:     make(chan struct{}, 1),
		runs:     map[string]*run{},
	}
}

// Register sets the handler of op. Call it before Start.
func (e *Engine) Register(op arca.Operation, h Handler) {
	e.handlers[op] = h
}

// WorkerID is the identity of this process's workers.
func (e *Engine) WorkerID() string { return e.opts.WorkerID }

// Operations lists the registered operations.
func (e *Engine) Operations() []arca.Operation {
	ops := make([]arca.Operation, 0, len(e.handlers))
	for op := range e.handlers {
		ops = append(ops, op)
	}
	return ops
}

// Start rescues tasks left by dead processes and starts the worker loops. It
// returns at once; the loops run until Stop.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("task engine already started")
	}
	e.started = true
	e.mu.Unlock()
	if err := e.rescue(ctx, e.opts.SingleProcess); err != nil {
		return fmt.Errorf("rescue interrupted tasks: %w", err)
	}
	loopCtx, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	runCtx, hardStop := context.WithCancelCause(context.WithoutCancel(ctx))
	e.stop, e.hardStop = stop, hardStop
	e.wg.Add(4)
	go e.dispatchLoop(loopCtx, runCtx)
	go e.heartbeatLoop(loopCtx)
	go e.maintenanceLoop(loopCtx)
	go e.flushLoop(loopCtx)
	return nil
}

// Stop stops claiming work and waits for running handlers until ctx ends;
// then it cancels them (cause ErrShutdown). Interrupted tasks are re-queued
// when their handler is resumable and failed with INTERRUPTED otherwise.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	if !e.started || e.stop == nil {
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	e.stop(ErrShutdown)
	e.wg.Wait()
	done := make(chan struct{})
	go func() { e.runWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		e.hardStop(ErrShutdown)
		<-done
	}
	e.hardStop(ErrShutdown)
	e.flushAll(context.WithoutCancel(ctx))
	return nil
}

// Kick wakes the dispatcher (new work was queued in this process).
func (e *Engine) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) now() time.Time { return e.opts.Now().UTC() }

func marshalParams(v any) (json.RawMessage, error) {
	switch p := v.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		return p, nil
	}
	return json.Marshal(v)
}
