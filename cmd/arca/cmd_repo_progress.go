package main

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Progress reporting of long verbs (backup, restore, check): a bar when
// stderr is a terminal, a plain line every plainInterval otherwise (logs,
// cron mail), nothing with --quiet.
const (
	barInterval   = 200 * time.Millisecond
	plainInterval = 10 * time.Second
)

// progress shows one long operation. update is called from one goroutine
// at a time (the engines' progress callbacks are).
type progress struct {
	name   string
	bytes  bool // counts are bytes (else items)
	w      io.Writer
	bars   *mpb.Progress // nil unless on a terminal
	bar    *mpb.Bar
	detail atomic.Value // string, shown after the bar
	quiet  bool
	start  time.Time
	last   time.Time // of the last update shown
}

// newProgress starts the display of an operation called name, counting
// bytes or items.
func (o *repoOptions) newProgress(ctx context.Context, name string, bytes bool) *progress {
	p := &progress{name: name, bytes: bytes, w: o.m.Stderr, quiet: o.quiet, start: time.Now()}
	p.detail.Store("")
	if o.quiet || !isTerminal(o.m.Stderr) {
		return p
	}
	counters := decor.CountersNoUnit("%d / %d", decor.WCSyncSpace)
	if bytes {
		counters = decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace)
	}
	p.bars = mpb.NewWithContext(ctx, mpb.WithOutput(o.m.Stderr), mpb.WithWidth(30), mpb.WithRefreshRate(barInterval))
	p.bar = p.bars.AddBar(0,
		mpb.PrependDecorators(decor.Name(name+" ", decor.WCSyncSpaceR), counters),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string { return "  " + p.detail.Load().(string) })),
	)
	return p
}

// interval is how often the engine should call update.
func (p *progress) interval() time.Duration {
	if p.bars != nil {
		return barInterval
	}
	return plainInterval
}

// enabled reports whether update shows anything (the engine may skip
// progress work otherwise).
func (p *progress) enabled() bool { return !p.quiet }

// update shows done of total; final says total will not grow; detail is a
// short free text (files, phase, failures).
func (p *progress) update(done, total int64, final bool, detail string) {
	p.last = time.Now()
	switch {
	case p.quiet:
	case p.bar != nil:
		p.detail.Store(detail)
		p.bar.SetTotal(max(total, done), false)
		p.bar.SetCurrent(done)
	default:
		pct := ""
		if final && total > 0 {
			pct = fmt.Sprintf("%.1f%% ", 100*float64(done)/float64(total))
		}
		count := fmt.Sprintf("%d of %d", done, total)
		if p.bytes {
			count = humanBytes(done) + " of " + humanBytes(total)
		}
		fmt.Fprintf(p.w, "%s: %s%s, %s, %s elapsed\n", p.name, pct, count, detail, time.Since(p.start).Round(time.Second))
	}
}

// throttled adapts an engine that reports as often as it likes: fn turns
// its progress value into done, total and detail, shown at most once per
// interval.
func throttled[P any](p *progress, fn func(P) (done, total int64, detail string)) func(P) {
	return func(v P) {
		if time.Since(p.last) < p.interval() {
			return
		}
		done, total, detail := fn(v)
		p.update(done, total, total > 0, detail)
	}
}

// finish ends the display; after it the caller may print its summary.
func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	p.bar.SetTotal(-1, true)
	p.bars.Wait()
}
