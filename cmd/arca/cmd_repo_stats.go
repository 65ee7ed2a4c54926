package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
)

// repoStats is what `arca repo stats` reports.
type repoStats struct {
	Location      string      `json:"location"`
	Config        repo.Config `json:"config"`
	Snapshots     int         `json:"snapshots"`
	Packs         uint64      `json:"packs"`
	PackBytes     uint64      `json:"pack_bytes"`
	TotalBytes    uint64      `json:"total_bytes"` // every stored object
	DataBlobs     uint64      `json:"data_blobs"`
	TreeBlobs     uint64      `json:"tree_blobs"`
	RawBytes      uint64      `json:"raw_bytes"`    // plaintext of all blobs
	StoredBytes   uint64      `json:"stored_bytes"` // blobs as stored (compressed, encrypted)
	Compression   float64     `json:"compression_ratio"`
	SnapshotBytes uint64      `json:"snapshot_bytes"` // sum of the snapshots' file sizes
}

func newRepoStatsCmd(o *repoOptions) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show the repository's size, blobs and compression",
		Args:  args(cobra.NoArgs),
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print as JSON")
	cmd.RunE = o.run(func(ctx context.Context, _ []string) error {
		r, err := o.open(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		st, err := collectStats(ctx, r)
		if err != nil {
			return err
		}
		if jsonOut {
			return printJSON(o.m.Stdout, st)
		}
		return printStats(o, st)
	})
	return cmd
}

func collectStats(ctx context.Context, r *repo.Repository) (*repoStats, error) {
	st := &repoStats{Location: r.Store().Location(), Config: r.Config()}
	sns, err := listSnapshots(ctx, r)
	if err != nil {
		return nil, err
	}
	st.Snapshots = len(sns)
	for _, s := range sns {
		st.SnapshotBytes += s.Stats.TotalBytes
	}
	err = r.Store().List(ctx, "", func(fi blob.Info) error {
		st.TotalBytes += uint64(fi.Size)
		if strings.HasPrefix(fi.Name, "data/") {
			st.Packs++
			st.PackBytes += uint64(fi.Size)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	err = r.EachBlob(func(b repo.PackedBlob) error {
		if b.Type == repo.TreeBlob {
			st.TreeBlobs++
		} else {
			st.DataBlobs++
		}
		st.RawBytes += uint64(b.RawLength)
		st.StoredBytes += uint64(b.Length)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	if st.StoredBytes > 0 {
		st.Compression = float64(st.RawBytes) / float64(st.StoredBytes)
	}
	return st, nil
}

func printStats(o *repoOptions, st *repoStats) error {
	tw := tabwriter.NewWriter(o.m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Repository:\t%s (id %s, format %d)\n", st.Location, st.Config.ID.Short(), st.Config.Version)
	fmt.Fprintf(tw, "Snapshots:\t%d (%s of files)\n", st.Snapshots, humanBytes(int64(st.SnapshotBytes)))
	fmt.Fprintf(tw, "Stored:\t%s in all, %s in %d packs\n", humanBytes(int64(st.TotalBytes)), humanBytes(int64(st.PackBytes)), st.Packs)
	fmt.Fprintf(tw, "Blobs:\t%d data, %d tree\n", st.DataBlobs, st.TreeBlobs)
	fmt.Fprintf(tw, "Content:\t%s raw, %s stored (ratio %.2f)\n", humanBytes(int64(st.RawBytes)), humanBytes(int64(st.StoredBytes)), st.Compression)
	return tw.Flush()
}
