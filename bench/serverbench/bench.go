package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
)

type bench struct {
	cfg config
	srv *server
	cl  *apiclient.Client
	seq int
	// lastSource is a server source whose repository holds a backup of
	// the whole dataset (for the nochange phase).
	lastSource string
}

func (b *bench) all(ctx context.Context) error {
	fmt.Printf("dataset %s, %.1f MiB in %d files\n", b.cfg.data, float64(dirBytes(b.cfg.data))/(1<<20), dirFiles(b.cfg.data))
	if b.cfg.phases["compare"] {
		if err := b.compare(ctx); err != nil {
			return fmt.Errorf("compare: %w", err)
		}
	}
	if b.cfg.phases["nochange"] {
		if err := b.noChange(ctx); err != nil {
			return fmt.Errorf("nochange: %w", err)
		}
	}
	if b.cfg.phases["sse"] {
		if err := b.sse(ctx); err != nil {
			return fmt.Errorf("sse: %w", err)
		}
	}
	return nil
}

func (b *bench) name(kind string) string {
	b.seq++
	return fmt.Sprintf("%s-%d", kind, b.seq)
}

func (b *bench) path(name string) string { return filepath.Join(b.cfg.scratch, name) }

// compare: first and no-change backup of the dataset, offline and through
// the server, each into a fresh repository, alternating which goes first.
func (b *bench) compare(ctx context.Context) error {
	var offFirst, offNo, srvFirst, srvNo []sample
	for run := 1; run <= b.cfg.runs; run++ {
		offFirstRun := run%2 == 1
		for _, off := range []bool{offFirstRun, !offFirstRun} {
			way := b.serverPair
			if off {
				way = b.offlinePair
			}
			first, no, err := way(ctx, run)
			if err != nil {
				return err
			}
			if off {
				offFirst, offNo = append(offFirst, first), append(offNo, no)
			} else {
				srvFirst, srvNo = append(srvFirst, first), append(srvNo, no)
			}
		}
	}
	fmt.Println()
	report := func(what string, off, srv []sample) {
		fmt.Printf("compare, median of %d: %s offline %.3f s (CPU %.2f s), server %.3f s (CPU %.2f s): server/offline wall %.3f, CPU %.3f\n",
			b.cfg.runs, what, median(walls(off)).Seconds(), median(cpus(off)).Seconds(), median(walls(srv)).Seconds(),
			median(cpus(srv)).Seconds(), ratio(walls(srv), walls(off)), ratio(cpus(srv), cpus(off)))
		fmt.Printf("  raw wall offline %s | server %s\n  raw CPU  offline %s | server %s\n",
			secs(walls(off)), secs(walls(srv)), secs(cpus(off)), secs(cpus(srv)))
	}
	report("first backup", offFirst, srvFirst)
	report("no-change backup", offNo, srvNo)
	return nil
}

func (b *bench) offlinePair(ctx context.Context, run int) (sample, sample, error) {
	o := offline{arca: b.cfg.arca, repo: b.path("offline-repo"), profiles: filepath.Join(b.cfg.scratch, "profiles")}
	if err := o.init(ctx); err != nil {
		return sample{}, sample{}, err
	}
	prof := func(s string) string {
		if !b.cfg.offlineProfile {
			return ""
		}
		return fmt.Sprintf("offline-%s-%d.pprof", s, run)
	}
	first, err := o.backup(ctx, prof("first"), b.cfg.data)
	if err != nil {
		return sample{}, sample{}, err
	}
	no, err := o.backup(ctx, prof("nochange"), b.cfg.data)
	if err != nil {
		return sample{}, sample{}, err
	}
	fmt.Printf("run %d offline: first %.3f s, CPU %.2f s; no-change %.3f s, CPU %.2f s (load %s)\n", run,
		first.wall.Seconds(), first.cpu.Seconds(), no.wall.Seconds(), no.cpu.Seconds(), loadavg())
	return first, no, removeAll(o.repo)
}

func (b *bench) serverPair(ctx context.Context, run int) (sample, sample, error) {
	name := b.name("repo")
	path := b.path(name)
	repoID, err := addRepository(ctx, b.cl, name, path)
	if err != nil {
		return sample{}, sample{}, err
	}
	src, err := addSource(ctx, b.cl, b.name("src"), repoID, b.cfg.data)
	if err != nil {
		return sample{}, sample{}, err
	}
	first, err := backupSource(ctx, b.srv, src)
	if err != nil {
		return sample{}, sample{}, err
	}
	no, err := backupSource(ctx, b.srv, src)
	if err != nil {
		return sample{}, sample{}, err
	}
	fmt.Printf("run %d server:  first %s; no-change %s (load %s)\n", run, first, no, loadavg())
	if run < b.cfg.runs || !b.cfg.phases["nochange"] {
		if err := removeAll(path); err != nil {
			return sample{}, sample{}, err
		}
	} else {
		b.lastSource = src
	}
	return first.sample, no.sample, nil
}

// noChange times no-change backups of the whole dataset through the
// server (a source backed up before, its repository open).
func (b *bench) noChange(ctx context.Context) error {
	src := b.lastSource
	if src == "" {
		name := b.name("repo")
		repoID, err := addRepository(ctx, b.cl, name, b.path(name))
		if err != nil {
			return err
		}
		if src, err = addSource(ctx, b.cl, b.name("src"), repoID, b.cfg.data); err != nil {
			return err
		}
		if _, err := backupSource(ctx, b.srv, src); err != nil {
			return err
		}
	}
	var got []sample
	var ran []time.Duration
	for i := 1; i <= b.cfg.nochange; i++ {
		t, err := backupSource(ctx, b.srv, src)
		if err != nil {
			return err
		}
		fmt.Printf("nochange %d: %s (load %s)\n", i, t, loadavg())
		got, ran = append(got, t.sample), append(ran, t.ran)
	}
	fmt.Printf("\nnochange, median of %d: POST → succeeded %.3f s (the task itself ran %.3f s; server CPU %.2f s)\n  raw %s\n",
		len(got), median(walls(got)).Seconds(), median(ran).Seconds(), median(cpus(got)).Seconds(), secs(walls(got)))
	return nil
}
