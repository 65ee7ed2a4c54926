package catalogtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/catalog"
)

// benchSnapshotCount is how many snapshots the snapshot benchmarks cache:
// a year of hourly backups of two sources, and a bit more.
const benchSnapshotCount = 20000

// benchSnapshots measures the snapshot cache: rebuilding a repository's
// cache, and listing pages of it (newest first, by source, by a rare tag,
// and deep in the listing through cursors).
func benchSnapshots(b *testing.B, open func(b *testing.B) catalog.Store) {
	b.Run("ReplaceSnapshots/n=1000", func(b *testing.B) {
		s := open(b)
		r, _, snaps := benchSnapshotSet(b, s, 1000)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.ReplaceSnapshots(b.Context(), r.ID, snaps); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/snapshot")
	})
	b.Run("ListSnapshots", func(b *testing.B) {
		s := open(b)
		r, src, snaps := benchSnapshotSet(b, s, benchSnapshotCount)
		if err := s.ReplaceSnapshots(b.Context(), r.ID, snaps); err != nil {
			b.Fatal(err)
		}
		deep, _, err := s.ListSnapshots(b.Context(), catalog.SnapshotFilter{Limit: benchSnapshotCount / 2})
		if err != nil {
			b.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			f    catalog.SnapshotFilter
		}{
			{"newest", catalog.SnapshotFilter{Tenant: r.Tenant}},
			{"source", catalog.SnapshotFilter{Tenant: r.Tenant, SourceID: src.ID}},
			{"rare-tag", catalog.SnapshotFilter{Tenant: r.Tenant, Tag: "monthly"}},
			{"since", catalog.SnapshotFilter{Tenant: r.Tenant, Since: snaps[len(snaps)-50].Time}},
			{"id-prefix", catalog.SnapshotFilter{Tenant: r.Tenant, IDPrefix: snaps[123].ID[:8]}},
			{"cursor-mid", catalog.SnapshotFilter{Tenant: r.Tenant, After: catalog.EncodeSnapshotCursor(deep[len(deep)-1])}},
		} {
			b.Run(tc.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := s.ListSnapshots(b.Context(), tc.f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// benchSnapshotSet registers a repository and two sources and returns n
// snapshots of them, hourly, every 720th tagged "monthly" and all "hourly".
func benchSnapshotSet(b *testing.B, s catalog.Store, n int) (arca.Repository, arca.Source, []arca.Snapshot) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := arca.Repository{ID: arca.NewID(now), Tenant: "acme", Name: "nas", Kind: arca.RepositoryLocal, Path: "/nas"}
	if err := s.CreateRepository(b.Context(), r); err != nil {
		b.Fatal(err)
	}
	var srcs [2]arca.Source
	for i := range srcs {
		srcs[i] = arca.Source{ID: arca.NewID(now), Tenant: "acme", Name: fmt.Sprint("src", i), Kind: arca.SourceFS, RepositoryID: r.ID}
		if err := s.CreateSource(b.Context(), srcs[i]); err != nil {
			b.Fatal(err)
		}
	}
	snaps := make([]arca.Snapshot, n)
	for i := range snaps {
		src := srcs[i%2]
		snaps[i] = snap(r, src, fmt.Sprint("bench", i), now.Add(time.Duration(i/2)*time.Hour))
		snaps[i].Tags = []string{"hourly"}
		if i%720 == 0 {
			snaps[i].Tags = append(snaps[i].Tags, "monthly")
		}
		snaps[i].Stats = []byte(`{"files_new":12,"files_changed":3,"bytes_added":1048576}`)
	}
	return r, srcs[0], snaps
}
