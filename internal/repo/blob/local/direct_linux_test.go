package local

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// Large objects take the O_DIRECT path (where the file system has it) for
// their aligned prefix and the page cache for the tail; an unaligned
// buffer takes the page cache only. Every way must store the exact bytes.
func TestPutLargeObjectsReadBackExactly(t *testing.T) {
	ctx := context.Background()
	s, err := New(filepath.Join(t.TempDir(), "repo"))
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 9<<20+1)
	for i := range big {
		big[i] = byte(i*7 + i>>12)
	}
	for i, data := range [][]byte{
		big[:directMin],             // aligned, no tail
		big[:3<<20+123],             // aligned prefix and a tail
		big,                         // several write chunks
		big[1 : 2<<20],              // unaligned buffer
		big[:directMin-directAlign], // below the threshold
	} {
		name := fmt.Sprintf("data/%02d/%02d", i, i)
		if err := s.Put(ctx, name, data); err != nil {
			t.Fatalf("put %d bytes: %v", len(data), err)
		}
		got, err := blob.ReadAll(ctx, s, name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("object %s of %d bytes read back as %d different bytes", name, len(data), len(got))
		}
	}
}
