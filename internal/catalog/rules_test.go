package catalog_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

func TestListLimit(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{-1, 100}, {0, 100}, {1, 1}, {100, 100}, {1000, 1000}, {1001, 1000}} {
		if got := catalog.ListLimit(tc.in); got != tc.want {
			t.Errorf("ListLimit(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestDBTime(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", -7200))
	got := catalog.DBTime(in)
	want := time.Date(2026, 1, 2, 5, 4, 5, 123456000, time.UTC)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("DBTime(%v) = %v, want %v", in, got, want)
	}
}

func TestPrepareCreate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 999, time.UTC)
	got, err := catalog.PrepareCreate(catalog.CreateTask{Task: arca.Task{Operation: "backup",
		State: arca.TaskSucceeded, Worker: "w", Attempt: 3}}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := arca.Task{ID: got.ID, Tenant: arca.DefaultTenant, Operation: "backup",
		CreatedAt: now.Truncate(time.Microsecond), UpdatedAt: now.Truncate(time.Microsecond)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("PrepareCreate (-want +got):\n%s", d)
	}
	if !arca.ValidID(got.ID) {
		t.Errorf("id %q", got.ID)
	}
	_, err = catalog.PrepareCreate(catalog.CreateTask{Task: arca.Task{Operation: "backup"}, RequestHash: "h"}, now)
	if arca.ErrorCode(err) != arca.CodeInvalidArgument {
		t.Errorf("a request hash without a key: %v", err)
	}
}

func TestNotAllowedMessage(t *testing.T) {
	for _, tc := range []struct {
		state arca.TaskState
		want  string
	}{
		{arca.TaskRunning, "Task t1 is running: it cannot be deleted."},
		{arca.TaskSucceeded, "Task t1 has already ended (succeeded): it cannot be deleted."},
	} {
		if got := arca.ErrorMessage(catalog.NotAllowed("t1", tc.state, "be deleted")); got != tc.want {
			t.Errorf("message = %q, want %q", got, tc.want)
		}
	}
}
