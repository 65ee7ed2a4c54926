package checker

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/arcabackup/arca/internal/repo"
)

// checkPacks compares the packs the index names with the store: each must
// exist, have the size its index entries imply, and a header that agrees
// with them. A pack that fails is read in full (whatever the read-data
// options) so that the report names exactly which of its blobs are lost.
func (c *checker) checkPacks(ctx context.Context) error {
	c.sizes = map[repo.ID]int64{}
	err := c.r.ListPacks(ctx, func(id repo.ID, size int64) error {
		c.sizes[id] = size
		return nil
	})
	if err != nil {
		return fmt.Errorf("list packs: %w", err)
	}
	for id := range c.sizes {
		if _, ok := c.packs[id]; !ok {
			c.report.UnindexedPacks = append(c.report.UnindexedPacks, id)
		}
	}
	var present []repo.ID
	for id, blobs := range c.packs {
		if _, ok := c.sizes[id]; ok {
			present = append(present, id)
			continue
		}
		c.report.MissingPacks = append(c.report.MissingPacks, PackProblem{Pack: id, Problem: "named by the index but absent from the store"})
		for _, b := range blobs {
			c.markBadEntry(b, "its pack is missing")
		}
	}
	damaged := make([]bool, len(present))
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.conns)
	for i, id := range present {
		g.Go(func() error {
			problem, err := c.checkPack(gctx, id)
			if err != nil {
				return err
			}
			if problem != "" {
				damaged[i] = true
				c.damagedPack(id, problem)
			}
			c.progress(Progress{Phase: "packs", Done: done.Add(1), Total: int64(len(present))})
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	c.forceRead = map[repo.ID]bool{}
	for i, id := range present {
		if damaged[i] {
			c.forceRead[id] = true
		}
	}
	return nil
}

// checkPack returns what is wrong with one present pack, or "".
func (c *checker) checkPack(ctx context.Context, id repo.ID) (string, error) {
	blobs := c.packs[id]
	size := c.sizes[id]
	var dataLen int64
	for _, b := range blobs {
		dataLen = max(dataLen, int64(b.Offset)+int64(b.Length))
	}
	if want := repo.ExpectedPackSize(len(blobs), dataLen); size != want {
		return fmt.Sprintf("size %d bytes, but its index entries imply %d", size, want), nil
	}
	header, err := c.r.LoadPackHeader(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return fmt.Sprintf("header unreadable: %v", err), nil
	}
	// A pack may hold one blob twice, so compare whole entries.
	type place struct {
		k                         blobKey
		offset, length, rawLength uint32
	}
	inHeader := make(map[place]bool, len(header))
	listed := make(map[blobKey]repo.PackedBlob, len(header))
	for _, h := range header {
		inHeader[place{blobKey{h.Type, h.ID}, h.Offset, h.Length, h.RawLength}] = true
		listed[blobKey{h.Type, h.ID}] = h
	}
	for _, b := range blobs {
		if inHeader[place{blobKey{b.Type, b.ID}, b.Offset, b.Length, b.RawLength}] {
			continue
		}
		h, ok := listed[blobKey{b.Type, b.ID}]
		if !ok {
			return fmt.Sprintf("the index places %s blob %s in it, its header does not list it", b.Type, b.ID.Short()), nil
		}
		return fmt.Sprintf("%s blob %s: index says offset %d length %d raw %d, header says %d %d %d",
			b.Type, b.ID.Short(), b.Offset, b.Length, b.RawLength, h.Offset, h.Length, h.RawLength), nil
	}
	return "", nil
}

// verifyPack reads a pack and records each blob that fails.
func (c *checker) verifyPack(ctx context.Context, id repo.ID) (int64, error) {
	blobs := c.packs[id]
	bad := 0
	n, err := c.r.VerifyPack(ctx, id, blobs, func(b repo.PackedBlob, err error) {
		if err == nil {
			return
		}
		bad++
		c.markBadEntry(b, err.Error())
	})
	if errors.Is(err, repo.ErrPackMismatch) {
		// Every blob was verified: those damaged are recorded already.
		c.damagedPack(id, "its content does not match its name")
		return n, nil
	}
	if err == nil && bad > 0 {
		c.damagedPack(id, fmt.Sprintf("%d of its %d blobs are damaged", bad, len(blobs)))
	}
	if err != nil {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		c.damagedPack(id, fmt.Sprintf("unreadable: %v", err))
		for _, b := range blobs {
			c.markBadEntry(b, "its pack is unreadable")
		}
	}
	return n, nil
}

// markBadEntry records that one copy of a blob (the one in b.Pack) is bad.
func (c *checker) markBadEntry(b repo.PackedBlob, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.badEntries == nil {
		c.badEntries = map[entryKey]string{}
	}
	k := entryKey{b.Pack, blobKey{b.Type, b.ID}}
	if _, ok := c.badEntries[k]; !ok {
		c.badEntries[k] = why
	}
}

type entryKey struct {
	pack repo.ID
	blobKey
}

// resolveBad turns bad copies into bad blobs: a blob is lost when every
// copy the index knows is bad. Each bad copy is reported.
func (c *checker) resolveBad() {
	copies := map[blobKey]int{}
	for k := range c.badEntries {
		copies[k.blobKey] = 0
	}
	for _, blobs := range c.packs {
		for _, b := range blobs {
			if n, ok := copies[blobKey{b.Type, b.ID}]; ok {
				copies[blobKey{b.Type, b.ID}] = n + 1
			}
		}
	}
	badCopies := map[blobKey]int{}
	for k, why := range c.badEntries {
		badCopies[k.blobKey]++
		c.report.DamagedBlobs = append(c.report.DamagedBlobs, BlobProblem{Type: k.t, ID: k.id, Pack: k.pack, Problem: why})
	}
	for _, te := range c.treeErrs {
		if _, ok := badCopies[blobKey{te.Type, te.ID}]; !ok {
			c.report.DamagedBlobs = append(c.report.DamagedBlobs, te)
		}
	}
	for k, n := range badCopies {
		if n >= copies[k] {
			c.bad[k] = "no intact copy"
		}
	}
}

// damagedPack records a problem of a pack, joining several of one pack.
func (c *checker) damagedPack(id repo.ID, problem string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.report.DamagedPacks {
		if c.report.DamagedPacks[i].Pack == id {
			c.report.DamagedPacks[i].Problem += "; " + problem
			return
		}
	}
	c.report.DamagedPacks = append(c.report.DamagedPacks, PackProblem{Pack: id, Problem: problem})
}
