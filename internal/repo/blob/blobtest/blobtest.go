// Package blobtest is the conformance suite every blob.Store passes, and a
// throughput benchmark for stores.
//
// A store's test file needs one call:
//
//	func TestStore(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Store { return mem.New() })
//	}
//
// newStore must return a fresh, empty store each time it is called (one per
// subtest); it may register cleanups on t. Subtests run in parallel.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// Run runs the conformance suite against the stores newStore returns.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutGetStat", testPutGetStat},
		{"RangedGet", testRangedGet},
		{"PutExisting", testPutExisting},
		{"Missing", testMissing},
		{"Delete", testDelete},
		{"CallerOwnsBuffers", testCallerOwnsBuffers},
		{"ListPrefix", testListPrefix},
		{"ListStopsOnError", testListStopsOnError},
		{"ListMany", testListMany},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"OddNames", testOddNames},
		{"InvalidNames", testInvalidNames},
		{"ConcurrentDistinct", testConcurrentDistinct},
		{"ConcurrentSameName", testConcurrentSameName},
		{"Canceled", testCanceled},
		{"CanceledDuringList", testCanceledDuringList},
		{"Describe", testDescribe},
		{"Deferred", testDeferred},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// randomData returns n pseudo-random bytes determined by seed.
func randomData(seed uint64, n int) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)})
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

func mustPut(t *testing.T, s blob.Store, name string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), name, data); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", name, len(data), err)
	}
}

func get(ctx context.Context, s blob.Store, name string, offset, length int64) ([]byte, error) {
	rc, err := s.Get(ctx, name, offset, length)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	return data, err
}

func mustGet(t *testing.T, s blob.Store, name string, offset, length int64) []byte {
	t.Helper()
	data, err := get(t.Context(), s, name, offset, length)
	if err != nil {
		t.Fatalf("Get(%q, %d, %d): %v", name, offset, length, err)
	}
	return data
}

// checkContent fails t unless name holds exactly want.
func checkContent(t *testing.T, s blob.Store, name string, want []byte) {
	t.Helper()
	got := mustGet(t, s, name, 0, -1)
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q) = %d bytes %s, want %d bytes %s", name, len(got), short(got), len(want), short(want))
	}
}

// short describes data briefly for failure messages.
func short(data []byte) string {
	if len(data) > 16 {
		return fmt.Sprintf("%x...", data[:16])
	}
	return fmt.Sprintf("%x", data)
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want one wrapping %q", what, err, target)
	}
}
