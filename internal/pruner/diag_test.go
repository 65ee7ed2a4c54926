package pruner_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob"
	"github.com/arcabackup/arca/internal/repo/repotest"
)

// diagnose describes where a blob is, for failure messages.
func diagnose(s blob.Store, id string) string {
	ctx := context.Background()
	r, err := repo.Open(ctx, s, repotest.Password, openOpts)
	if err != nil {
		return err.Error()
	}
	defer r.Close()
	var b strings.Builder
	var all []repo.PackedBlob
	r.EachBlob(func(pb repo.PackedBlob) error { all = append(all, pb); return nil })
	for _, pb := range all {
		if strings.HasPrefix(pb.ID.String(), id) {
			fmt.Fprintf(&b, "indexed in pack %s; ", pb.Pack.Short())
		}
	}
	r.ListPackInfos(ctx, func(p repo.ID, i blob.Info) error {
		h, err := r.LoadPackHeader(ctx, p)
		if err != nil {
			return nil
		}
		for _, e := range h {
			if strings.HasPrefix(e.ID.String(), id) {
				fmt.Fprintf(&b, "stored in pack %s (mod %s); ", p.Short(), i.ModTime.Format("15:04:05"))
			}
		}
		return nil
	})
	r.ListDeletionMarkers(ctx, func(mid repo.ID, m repo.DeletionMarker) error {
		fmt.Fprintf(&b, "marker %s at %s packs", mid.Short(), m.Time.Format("15:04:05"))
		for _, p := range m.Packs {
			fmt.Fprintf(&b, " %s", p.Short())
		}
		b.WriteString("; ")
		return nil
	})
	return b.String()
}
