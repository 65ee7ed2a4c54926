package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/serverapi"
)

// startFlags are the flags of a command that starts a task.
type startFlags struct {
	wait   bool
	asJSON bool
	key    string
}

func (f *startFlags) register(fl *pflag.FlagSet) {
	fl.BoolVar(&f.wait, "wait", false, "follow the task with live progress until it ends; the exit code says how it ended")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON (with --wait: the final state, no progress)")
	fl.StringVar(&f.key, "idempotency-key", "", "Idempotency-Key of the request: retrying with the same key starts nothing new")
}

func (f startFlags) opts() []apiclient.CallOption {
	if f.key == "" {
		return nil
	}
	return []apiclient.CallOption{apiclient.IdempotencyKey(f.key)}
}

// started reports a task a command started: with --wait it follows it to
// its end (the exit code says how it ended), otherwise it prints it.
func (m *Main) started(ctx context.Context, c *apiclient.Client, a apiclient.Accepted, label string, f startFlags) error {
	if f.wait {
		return m.follow(ctx, c, "", []job{{label: label, id: a.Task.ID}}, f.asJSON)
	}
	if f.asJSON {
		return printJSON(m.Stdout, a.Task)
	}
	fmt.Fprintf(m.Stdout, "Started %s task %s for %s (follow it with: arca task watch %s).\n", a.Task.Operation, a.Task.ID, label, a.Task.ID)
	return nil
}

// job is one task to follow, with the label its progress shows.
type job struct {
	label string
	id    string
}

// progressView shows the tasks of a follow as they change.
type progressView interface {
	update(i int, t serverapi.Task)
	wait() // until everything is drawn
}

// follow shows the progress of jobs until they all end, then prints each
// one's outcome. parent, when set, is the batch task the jobs belong to:
// its final state is the outcome; otherwise the one job's is. With asJSON
// it prints only the final states, as JSON.
func (m *Main) follow(ctx context.Context, c *apiclient.Client, parent string, jobs []job, asJSON bool) error {
	var view progressView = nopView{}
	if !asJSON {
		view = m.newProgressView(ctx, jobs)
	}
	finals, err := watchJobs(ctx, c, parent, jobs, view)
	view.wait()
	if err != nil {
		return m.interrupted(err, parent, jobs)
	}
	outcome := finals[0]
	if parent != "" {
		if outcome, err = c.WaitTask(ctx, parent); err != nil {
			return m.interrupted(err, parent, jobs)
		}
	}
	if asJSON {
		if parent == "" {
			return firstError(printJSON(m.Stdout, outcome), checkOutcome(outcome))
		}
		return firstError(printJSON(m.Stdout, batchJSON{Task: outcome, Jobs: finals}), checkOutcome(outcome))
	}
	for i, t := range finals {
		fmt.Fprintln(m.Stdout, outcomeLine(jobs[i].label, t))
	}
	if parent != "" {
		fmt.Fprintf(m.Stdout, "Batch task %s %s: %s.\n", outcome.ID, outcome.State, tally(finals))
	}
	return checkOutcome(outcome)
}

// batchJSON is what a followed batch prints with --json.
type batchJSON struct {
	Task serverapi.Task   `json:"task"`
	Jobs []serverapi.Task `json:"jobs"`
}

// firstError returns the first error that is not nil.
func firstError(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// interrupted explains that the server goes on with tasks the client
// stopped following.
func (m *Main) interrupted(err error, parent string, jobs []job) error {
	id := parent
	if id == "" {
		id = jobs[0].id
	}
	fmt.Fprintf(m.Stderr, "Stopped following task %s; it goes on on the server (arca task watch %s).\n", id, id)
	return err
}

func tally(ts []serverapi.Task) string {
	n := map[string]int{}
	for _, t := range ts {
		n[t.State]++
	}
	s := fmt.Sprintf("%d of %d succeeded", n["succeeded"], len(ts))
	for _, st := range []string{"partially_succeeded", "failed", "canceled"} {
		if n[st] > 0 {
			s += fmt.Sprintf(", %d %s", n[st], st)
		}
	}
	return s
}

// watchJobs follows the jobs until all have ended and returns their final
// states, in order. One task is followed by its event stream; the jobs of
// a batch by listing them once a second (one request for all of them).
func watchJobs(ctx context.Context, c *apiclient.Client, parent string, jobs []job, view progressView) ([]serverapi.Task, error) {
	if parent == "" && len(jobs) == 1 {
		t, err := c.WatchTask(ctx, jobs[0].id, 0, func(ev apiclient.Event) error {
			view.update(0, ev.Task)
			return nil
		})
		return []serverapi.Task{t}, err
	}
	return pollJobs(ctx, c, parent, jobs, view, time.Second)
}

func pollJobs(ctx context.Context, c *apiclient.Client, parent string, jobs []job, view progressView, every time.Duration) ([]serverapi.Task, error) {
	index := make(map[string]int, len(jobs))
	for i, j := range jobs {
		index[j.id] = i
	}
	finals := make([]serverapi.Task, len(jobs))
	tick := time.NewTicker(every)
	defer tick.Stop()
	failures := 0
	for {
		l, err := c.ListTasks(ctx, apiclient.TaskFilter{Parent: parent, Limit: 1000}, "")
		if err != nil {
			// Unavailable: the server restarts; ask again, for a minute.
			if failures++; arca.ErrorCode(err) != arca.CodeUnavailable || failures > 60 {
				return nil, err
			}
		} else {
			failures = 0
		}
		ended := 0
		for _, t := range l.Items {
			if i, ok := index[t.ID]; ok {
				finals[i] = t
				view.update(i, t)
			}
		}
		for _, t := range finals {
			if t.Final() {
				ended++
			}
		}
		if ended == len(jobs) {
			return finals, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// newProgressView draws bars on a terminal and plain lines elsewhere, on
// standard error (standard output carries the results).
func (m *Main) newProgressView(ctx context.Context, jobs []job) progressView {
	if isTerminal(m.Stderr) {
		return newBarView(ctx, m.Stderr, jobs)
	}
	return &lineView{w: m.Stderr, jobs: jobs, now: m.now, every: 10 * time.Second, last: make([]lineState, len(jobs))}
}

func (m *Main) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

type nopView struct{}

func (nopView) update(int, serverapi.Task) {}
func (nopView) wait()                      {}

// barView draws one mpb bar per job.
type barView struct {
	p    *mpb.Progress
	bars []*mpb.Bar
	cur  []*taskBox
}

// taskBox holds the latest state of a task for a bar's decorators, which
// run on mpb's goroutine.
type taskBox struct {
	mu sync.Mutex
	t  *serverapi.Task
}

func (b *taskBox) get() *serverapi.Task {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.t
}

func newBarView(ctx context.Context, w io.Writer, jobs []job, opts ...mpb.ContainerOption) *barView {
	opts = append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(30), mpb.WithRefreshRate(200 * time.Millisecond)}, opts...)
	v := &barView{p: mpb.NewWithContext(ctx, opts...)}
	for _, j := range jobs {
		box := &taskBox{}
		bar := v.p.New(1000, mpb.BarStyle(),
			mpb.PrependDecorators(decor.Name(j.label, decor.WCSyncSpaceR),
				decor.Any(func(decor.Statistics) string { return barPhase(box.get()) }, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return details(box.get()) })))
		v.bars, v.cur = append(v.bars, bar), append(v.cur, box)
	}
	return v
}

// barPhase is what a bar says its task is doing: the phase while it runs,
// else its state (the label names the source, the command the operation).
func barPhase(t *serverapi.Task) string {
	switch {
	case t == nil:
		return "starting"
	case t.Progress.Phase != "" && !t.Final():
		return t.Progress.Phase
	}
	return t.State
}

func (v *barView) update(i int, t serverapi.Task) {
	box := v.cur[i]
	box.mu.Lock()
	box.t = &t
	box.mu.Unlock()
	switch {
	case t.State == "succeeded":
		v.bars[i].SetCurrent(1000)
	case t.Final():
		v.bars[i].Abort(false)
	default:
		v.bars[i].SetCurrent(int64(t.Progress.Percent * 10))
	}
}

func (v *barView) wait() {
	for _, b := range v.bars {
		if !b.Completed() {
			b.Abort(false) // the follow stopped early
		}
	}
	v.p.Wait()
}

// lineView prints a line when a job changes state, and its progress at
// most every `every` while it runs: for logs and pipes.
type lineView struct {
	w     io.Writer
	jobs  []job
	now   func() time.Time
	every time.Duration
	last  []lineState
}

type lineState struct {
	state string
	at    time.Time
	pct   float64
}

func (v *lineView) update(i int, t serverapi.Task) {
	last, now := &v.last[i], v.now()
	switch {
	case t.State != last.state:
		if !t.Final() { // the outcome line comes at the end
			fmt.Fprintf(v.w, "%s: %s %s\n", v.jobs[i].label, t.Operation, t.State)
		}
	case t.State == "running" && t.Progress.Percent != last.pct && now.Sub(last.at) >= v.every:
		fmt.Fprintf(v.w, "%s: %s\n", v.jobs[i].label, progressLine(t.Progress))
	default:
		return
	}
	*last = lineState{state: t.State, at: now, pct: t.Progress.Percent}
}

func (v *lineView) wait() {}
