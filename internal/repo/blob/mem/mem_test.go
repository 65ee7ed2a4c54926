package mem_test

import (
	"testing"

	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/blob/blobtest"
	"github.com/arcabackup/arca/internal/repo/blob/mem"
)

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return mem.New() })
}
