package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/task"
)

// OpSelftest exercises the task machinery end to end: it runs for a while in
// steps, reporting progress, and succeeds (or fails on request). Operators
// use it to check that workers pick up work; tests and benchmarks use it to
// drive the engine through the API.
const OpSelftest arca.Operation = "selftest"

// SelftestParams are the parameters of a selftest task.
type SelftestParams struct {
	DurationMS int  `json:"duration_ms"`
	Steps      int  `json:"steps"`
	Fail       bool `json:"fail"`
}

// Validate checks the parameters and fills defaults.
func (p *SelftestParams) Validate() error {
	var fields []arca.FieldError
	if p.DurationMS < 0 || p.DurationMS > 3_600_000 {
		fields = append(fields, arca.FieldError{Field: "duration_ms", Message: "must be between 0 and 3600000 (one hour)"})
	}
	if p.Steps < 0 || p.Steps > 10_000 {
		fields = append(fields, arca.FieldError{Field: "steps", Message: "must be between 0 and 10000"})
	}
	if len(fields) > 0 {
		return &arca.Error{Code: arca.CodeInvalidArgument, Message: "The selftest parameters are out of range: " + fields[0].Field + " " + fields[0].Message + ".", Fields: fields}
	}
	if p.Steps == 0 {
		p.Steps = 10
	}
	return nil
}

// SelftestResult is the result of a selftest task.
type SelftestResult struct {
	Steps    int   `json:"steps"`
	Elapsed  int64 `json:"elapsed_ms"`
	Attempts int   `json:"attempt"`
}

// Selftest returns the selftest handler. It is resumable: it holds no state.
func Selftest() task.Handler {
	return task.Handler{Resumable: true, Run: runSelftest}
}

func runSelftest(ctx context.Context, t arca.Task, r *task.Reporter) (task.Outcome, error) {
	var p SelftestParams
	if len(t.Params) > 0 {
		if err := json.Unmarshal(t.Params, &p); err != nil {
			return task.Outcome{}, fmt.Errorf("decode selftest params: %w", err)
		}
	}
	if err := p.Validate(); err != nil {
		return task.Outcome{}, err
	}
	start := time.Now()
	step := time.Duration(p.DurationMS) * time.Millisecond / time.Duration(p.Steps)
	for i := 1; i <= p.Steps; i++ {
		if step > 0 {
			timer := time.NewTimer(step)
			select {
			case <-ctx.Done():
				timer.Stop()
				return task.Outcome{}, context.Cause(ctx)
			case <-timer.C:
			}
		} else if err := ctx.Err(); err != nil {
			return task.Outcome{}, context.Cause(ctx)
		}
		r.Update(arca.Progress{Phase: "working", ItemsDone: int64(i), ItemsTotal: int64(p.Steps)})
	}
	if p.Fail {
		return task.Outcome{}, arca.Errorf(arca.CodeInternal, "The selftest failed on request (fail=true).")
	}
	return task.Outcome{ResultType: "selftest", Result: SelftestResult{
		Steps: p.Steps, Elapsed: time.Since(start).Milliseconds(), Attempts: t.Attempt}}, nil
}
