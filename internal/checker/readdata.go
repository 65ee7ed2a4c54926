package checker

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"sort"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/arcabackup/arca/internal/repo"
)

// selectPacks returns the present packs whose data is to be read.
func (c *checker) selectPacks() []repo.ID {
	var all []repo.ID
	for id := range c.packs {
		if _, ok := c.sizes[id]; ok {
			all = append(all, id)
		}
	}
	sort.Slice(all, func(i, j int) bool { return lessID(all[i], all[j]) })
	var chosen []repo.ID
	switch o := c.opts; {
	case o.ReadData:
		chosen = all
	case o.ReadDataSubset.M > 0:
		for _, id := range all {
			if int(binary.BigEndian.Uint32(id[:4])%uint32(o.ReadDataSubset.M)) == o.ReadDataSubset.N-1 {
				chosen = append(chosen, id)
			}
		}
	case o.ReadDataPercent > 0 && len(all) > 0:
		rnd := o.Rand
		if rnd == nil {
			rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		}
		n := max(1, int(math.Ceil(float64(len(all))*o.ReadDataPercent/100)))
		perm := rnd.Perm(len(all))
		for _, i := range perm[:min(n, len(all))] {
			chosen = append(chosen, all[i])
		}
	}
	in := map[repo.ID]bool{}
	for _, id := range chosen {
		in[id] = true
	}
	for id := range c.forceRead {
		if !in[id] {
			chosen = append(chosen, id)
		}
	}
	return chosen
}

// readData reads and verifies the chosen packs, in parallel.
func (c *checker) readData(ctx context.Context) error {
	packs := c.selectPacks()
	var done, bytes atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.conns)
	for _, id := range packs {
		g.Go(func() error {
			n, err := c.verifyPack(gctx, id)
			if err != nil {
				return err
			}
			c.progress(Progress{Phase: "read-data", Done: done.Add(1), Total: int64(len(packs)), Bytes: bytes.Add(n)})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	c.report.PacksRead = len(packs)
	c.report.BytesRead = bytes.Load()
	c.resolveBad()
	return nil
}
