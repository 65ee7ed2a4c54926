package retry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/blobtest"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
	"github.com/arcabackup/arca/internal/repo/blob/retry"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return retry.New(mem.New(), retry.Policy{InitialDelay: time.Millisecond})
	})
}

// setup returns a retrying store over a faulty mem store, and the waits.
func setup(t *testing.T, plan func(op string, n int) fault) (*retry.Store, *faulty, *waits) {
	t.Helper()
	w := &waits{}
	f := newFaulty(mem.New(), plan)
	policy := retry.Policy{MaxAttempts: 4, InitialDelay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond,
		Wait: w.wait, Rand: func() float64 { return 0.5 }}
	return retry.New(f, policy), f, w
}

// failFirst fails the first n calls of op before they reach the store.
func failFirst(op string, n int, err error) func(string, int) fault {
	return func(o string, i int) fault {
		if o == op && i <= n {
			return fault{before: err}
		}
		return fault{}
	}
}

func TestPutRetriesTransientFailuresWithBackoff(t *testing.T) {
	s, f, w := setup(t, failFirst("put", 3, errTransient))
	if err := s.Put(t.Context(), "data/ab/x", []byte("x")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := f.calledTimes("put"); got != 4 {
		t.Errorf("inner Put called %d times, want 4", got)
	}
	// delays 100ms, 200ms, 300ms (capped), each drawn from its upper half
	want := []time.Duration{75 * time.Millisecond, 150 * time.Millisecond, 225 * time.Millisecond}
	if diff := cmp.Diff(want, w.got()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFaulty(mem.New(), failFirst("stat", 100, errTransient))
	var notified []int
	s := retry.New(f, retry.Policy{MaxAttempts: 4, Wait: (&waits{}).wait,
		Notify: func(op, name string, attempt int, err error, _ time.Duration) {
			if op != "stat" || name != "config" || !errors.Is(err, errTransient) {
				t.Errorf("Notify(%q, %q, %d, %v)", op, name, attempt, err)
			}
			notified = append(notified, attempt)
		}})
	_, err := s.Stat(t.Context(), "config")
	if !errors.Is(err, errTransient) {
		t.Errorf("Stat: %v, want the transient error", err)
	}
	if got := f.calledTimes("stat"); got != 4 {
		t.Errorf("inner Stat called %d times, want 4", got)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, notified); diff != "" {
		t.Errorf("retries notified (-want +got):\n%s", diff)
	}
}

func TestDoesNotRetryFinalErrors(t *testing.T) {
	for _, final := range []error{
		blob.ErrNotExist, blob.ErrExists, blob.ErrPermanent, blob.ErrInvalidName,
		context.Canceled, context.DeadlineExceeded,
		fmt.Errorf("wrapped: %w", blob.ErrPermanent),
	} {
		t.Run(final.Error(), func(t *testing.T) {
			s, f, w := setup(t, failFirst("delete", 100, final))
			if err := s.Delete(t.Context(), "config"); !errors.Is(err, final) {
				t.Errorf("Delete: %v, want %v", err, final)
			}
			if got := f.calledTimes("delete"); got != 1 || len(w.got()) != 0 {
				t.Errorf("inner Delete called %d times with %d waits, want once without waiting", got, len(w.got()))
			}
		})
	}
}

func TestCancellationDuringBackoffStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	f := newFaulty(mem.New(), failFirst("stat", 100, errTransient))
	// The real timer: an hour's wait ends at once when ctx is canceled.
	s := retry.New(f, retry.Policy{InitialDelay: time.Hour})
	f.plan = func(string, int) fault {
		go cancel() // before or during the wait: either way no second attempt
		return fault{before: errTransient}
	}
	_, err := s.Stat(ctx, "config")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Stat: %v, want context.Canceled", err)
	}
	if got := f.calledTimes("stat"); got != 1 {
		t.Errorf("inner Stat called %d times, want 1", got)
	}
}

func TestRealTimerWaits(t *testing.T) {
	f := newFaulty(mem.New(), failFirst("put", 2, errTransient))
	s := retry.New(f, retry.Policy{InitialDelay: time.Millisecond})
	if err := s.Put(t.Context(), "config", []byte("c")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := f.calledTimes("put"); got != 3 {
		t.Errorf("inner Put called %d times, want 3", got)
	}
}

func TestPutWhoseAnswerWasLostSucceeds(t *testing.T) {
	// The first attempt stores the object but its answer is lost; the
	// second finds the name taken by the same bytes.
	s, f, _ := setup(t, func(op string, n int) fault {
		if op == "put" && n == 1 {
			return fault{after: errTransient}
		}
		return fault{}
	})
	data := bytes.Repeat([]byte("pack"), 100000)
	if err := s.Put(t.Context(), "data/ab/pack", data); err != nil {
		t.Fatalf("Put: %v, want success after verifying the stored object", err)
	}
	if got := f.calledTimes("put"); got != 2 {
		t.Errorf("inner Put called %d times, want 2", got)
	}
	if f.calledTimes("get") != 1 {
		t.Errorf("the stored object was not read back to verify it")
	}
}

func TestPutAfterUnknownOutcomeFindingOtherDataFails(t *testing.T) {
	for _, other := range map[string][]byte{
		"other size":            []byte("someone else's data"),
		"same size, other data": bytes.Repeat([]byte("PACK"), 100000),
	} {
		s, f, _ := setup(t, nil)
		data := bytes.Repeat([]byte("pack"), 100000)
		name := "data/ab/pack"
		f.plan = func(op string, n int) fault {
			if op == "put" && n == 1 {
				// another writer takes the name while our attempt fails
				return fault{before: errTransient, meanwhile: func() {
					if err := f.Store.Put(t.Context(), name, other); err != nil {
						t.Errorf("other writer: %v", err)
					}
				}}
			}
			return fault{}
		}
		if err := s.Put(t.Context(), name, data); !errors.Is(err, blob.ErrExists) {
			t.Errorf("Put: %v, want ErrExists", err)
		}
		got, err := blob.ReadAll(t.Context(), f.Store, name)
		if err != nil || !bytes.Equal(got, other) {
			t.Errorf("stored object changed: %d bytes, %v", len(got), err)
		}
	}
}

func TestPutExistingOnFirstAttemptIsExists(t *testing.T) {
	s, f, _ := setup(t, func(string, int) fault { return fault{} })
	if err := f.Store.Put(t.Context(), "config", []byte("c")); err != nil {
		t.Fatal(err)
	}
	// Same bytes, but no attempt of ours failed: the contract says ErrExists.
	if err := s.Put(t.Context(), "config", []byte("c")); !errors.Is(err, blob.ErrExists) {
		t.Errorf("Put: %v, want ErrExists", err)
	}
	if got := f.calledTimes("put"); got != 1 {
		t.Errorf("inner Put called %d times, want 1", got)
	}
}

func TestVerificationFailureIsNotSuccess(t *testing.T) {
	s, _, _ := setup(t, func(op string, n int) fault {
		switch {
		case op == "put" && n == 1:
			return fault{after: errTransient}
		case op == "get":
			return fault{before: errTransient} // cannot read back, ever
		}
		return fault{}
	})
	err := s.Put(t.Context(), "config", []byte("config"))
	if err == nil {
		t.Fatal("Put reported success without verifying the stored object")
	}
}

func TestGetResumesAfterReadError(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10000)
	s, f, _ := setup(t, func(op string, n int) fault {
		if op == "get" && n <= 2 {
			return fault{readErrAt: 30000}
		}
		return fault{}
	})
	if err := f.Store.Put(t.Context(), "data/ab/pack", data); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Get(t.Context(), "data/ab/pack", 5, 90000)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, data[5:90005]) {
		t.Errorf("read %d bytes, not the %d requested", len(got), 90000)
	}
	want := []call{
		{"get", "data/ab/pack", 5, 90000},
		{"get", "data/ab/pack", 30005, 60000},
		{"get", "data/ab/pack", 60005, 30000},
	}
	if diff := cmp.Diff(want, f.callsOf("get"), cmp.AllowUnexported(call{})); diff != "" {
		t.Errorf("inner Gets (-want +got):\n%s", diff)
	}
}

func TestListRetrySkipsReportedNames(t *testing.T) {
	s, f, _ := setup(t, func(op string, n int) fault {
		if op == "list" && n <= 2 {
			return fault{listErrAt: 3 * n}
		}
		return fault{}
	})
	var want []string
	for i := range 10 {
		name := fmt.Sprintf("index/%02d", i)
		want = append(want, name)
		if err := f.Store.Put(t.Context(), name, nil); err != nil {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	err := s.List(t.Context(), "index/", func(fi blob.Info) error { count[fi.Name]++; return nil })
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	wantCount := map[string]int{}
	for _, n := range want {
		wantCount[n] = 1
	}
	if diff := cmp.Diff(wantCount, count); diff != "" {
		t.Errorf("names reported (-want +got):\n%s", diff)
	}
	if got := f.calledTimes("list"); got != 3 {
		t.Errorf("inner List called %d times, want 3", got)
	}
}

func TestListCallbackErrorIsNotRetried(t *testing.T) {
	s, f, _ := setup(t, func(string, int) fault { return fault{} })
	if err := f.Store.Put(t.Context(), "index/a", nil); err != nil {
		t.Fatal(err)
	}
	err := s.List(t.Context(), "", func(blob.Info) error { return errTransient })
	if !errors.Is(err, errTransient) {
		t.Errorf("List: %v, want the callback's error", err)
	}
	if got := f.calledTimes("list"); got != 1 {
		t.Errorf("inner List called %d times, want 1", got)
	}
}

func TestPutRetriesWhenObjectVanishesDuringVerification(t *testing.T) {
	s, f, _ := setup(t, nil)
	f.plan = func(op string, n int) fault {
		switch {
		case op == "put" && n == 1:
			return fault{after: errTransient}
		case op == "stat" && n == 1:
			return fault{meanwhile: func() { _ = f.Store.Delete(t.Context(), "config") }}
		}
		return fault{}
	}
	if err := s.Put(t.Context(), "config", []byte("mine")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := f.calledTimes("put"); got != 3 {
		t.Errorf("inner Put called %d times, want 3", got)
	}
	got, err := blob.ReadAll(t.Context(), f.Store, "config")
	if err != nil || string(got) != "mine" {
		t.Errorf("stored %q, %v; want \"mine\"", got, err)
	}
}
