package ops

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/repo"
)

func TestFileProgress(t *testing.T) {
	parent := &repo.SnapshotStats{Files: 90, Others: 10, TotalBytes: 1000}
	cases := []struct {
		name     string
		in       archiver.Progress
		estimate *repo.SnapshotStats
		want     arca.Progress
	}{
		{"scanned totals, no parent", archiver.Progress{Phase: "backup", FilesDone: 5, FilesTotal: 50, BytesDone: 10, BytesTotal: 400},
			nil, arca.Progress{Phase: "backup", ItemsDone: 5, ItemsTotal: 50, BytesDone: 10, BytesTotal: 400}},
		{"parent's size without a scan", archiver.Progress{Phase: "backup", FilesDone: 5, FilesTotal: 5, BytesDone: 10, BytesTotal: 10},
			parent, arca.Progress{Phase: "backup", ItemsDone: 5, ItemsTotal: 100, BytesDone: 10, BytesTotal: 1000}},
		{"grown past the parent", archiver.Progress{Phase: "backup", FilesDone: 120, FilesTotal: 120, BytesDone: 1500, BytesTotal: 1500},
			parent, arca.Progress{Phase: "backup", ItemsDone: 120, ItemsTotal: 120, BytesDone: 1500, BytesTotal: 1500}},
		{"final totals win", archiver.Progress{Phase: "done", FilesDone: 80, FilesTotal: 80, BytesDone: 900, BytesTotal: 900, TotalsFinal: true},
			parent, arca.Progress{Phase: "done", ItemsDone: 80, ItemsTotal: 80, BytesDone: 900, BytesTotal: 900}},
		{"empty parent stats are no estimate", archiver.Progress{Phase: "backup", FilesDone: 5, FilesTotal: 7, BytesDone: 10, BytesTotal: 20},
			&repo.SnapshotStats{}, arca.Progress{Phase: "backup", ItemsDone: 5, ItemsTotal: 7, BytesDone: 10, BytesTotal: 20}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, fileProgress(c.in, c.estimate)); diff != "" {
				t.Errorf("fileProgress (-want +got):\n%s", diff)
			}
		})
	}
}
