package repo

import (
	"context"
	"fmt"

	"github.com/arcabackup/arca/internal/repo/blob"
)

// makePackDirs has a store with directories (the local one) create the 256
// pack directories data/00/ … data/ff/ when the repository is made, as
// restic does: made during the first backup instead, each cost a mkdir and
// an fsync of data/ inside an upload.
func makePackDirs(ctx context.Context, store blob.Store) error {
	d, ok := blob.As[blob.DirMaker](store)
	if !ok {
		return nil
	}
	prefixes := make([]string, 256)
	for i := range prefixes {
		prefixes[i] = fmt.Sprintf("%s%02x/", dataPrefix, i)
	}
	if err := d.MakeDirs(ctx, prefixes); err != nil {
		return fmt.Errorf("make pack directories: %w", err)
	}
	return nil
}
