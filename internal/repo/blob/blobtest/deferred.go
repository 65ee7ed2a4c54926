package blobtest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// testDeferred checks the optional blob.Deferrer capability (found with
// blob.As, so a decorated store passes it down): objects written with
// PutDeferred are readable at once, never replace an existing object, and
// Sync covers them. Stores without the capability skip it.
func testDeferred(t *testing.T, s blob.Store) {
	d, ok := blob.As[blob.Deferrer](s)
	if !ok {
		t.Skip("the store has no blob.Deferrer capability")
	}
	ctx := t.Context()
	for i := range 10 { // on both sides of a store's batching thresholds
		name := fmt.Sprintf("data/%02x/deferred", i)
		data := randomData(uint64(100+i), 1000+i)
		if err := d.PutDeferred(ctx, name, data); err != nil {
			t.Fatalf("PutDeferred(%q): %v", name, err)
		}
		checkContent(t, s, name, data)
	}
	if err := d.PutDeferred(ctx, "data/00/deferred", []byte("other")); !errors.Is(err, blob.ErrExists) {
		t.Errorf("PutDeferred over an existing object = %v, want ErrExists", err)
	}
	checkContent(t, s, "data/00/deferred", randomData(100, 1000))
	if err := d.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := d.Sync(ctx); err != nil {
		t.Fatalf("Sync with nothing to do: %v", err)
	}
}
