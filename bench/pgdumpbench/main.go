// Command pgdumpbench times Arca backups of a PostgreSQL database through
// the postgres source driver into a fresh local repository, the way the
// server runs them (the repository already open): the driver streams
// pg_dump's output into the archiver's StreamSnapshot, which chunks,
// deduplicates, compresses, encrypts and packs it; the clock stops when
// the snapshot is committed. It makes -backups backups in a row (the
// second and later of an unchanged database show what deduplication
// saves) and prints one line per backup:
//
//	backup=1 seconds=12.3 read=1034567890 added=1034567890 stored=345678901
//
// bench/pgdump.sh runs it beside pg_dump itself.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/arcabackup/arca/internal/arca"
	"github.com/arcabackup/arca/internal/archiver"
	"github.com/arcabackup/arca/internal/repo"
	"github.com/arcabackup/arca/internal/repo/blob/local"
	"github.com/arcabackup/arca/internal/source"
	"github.com/arcabackup/arca/internal/source/postgres"
)

func main() {
	url := flag.String("url", "", "the database's URL (postgres://user@host:port/db)")
	dir := flag.String("repo", "", "directory of the repository to create (must not exist or be empty)")
	backups := flag.Int("backups", 2, "backups to make in a row")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *dir, *backups, os.Getenv("PGPASSWORD")); err != nil {
		fmt.Fprintln(os.Stderr, "pgdumpbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, dir string, backups int, secret string) error {
	store, err := local.New(dir)
	if err != nil {
		return err
	}
	r, err := repo.Init(ctx, store, "bench-password", repo.InitOptions{KDF: repo.KDFParams{Time: 1, Memory: 8 << 10, Threads: 1}})
	if err != nil {
		return err
	}
	defer r.Close()
	settings, _ := json.Marshal(postgres.Settings{URL: url})
	c := source.Config{Source: arca.Source{ID: "bench", Name: "bench", Kind: arca.SourcePostgres, Settings: settings}, Secret: secret}
	ar := archiver.New(r, archiver.Options{})
	for i := 1; i <= backups; i++ {
		before := r.Stats()
		start := time.Now()
		k := &sink{ss: ar.Streams(repo.Snapshot{Hostname: "bench", Tags: []string{"pgdump-bench"}})}
		meta, err := postgres.New().Backup(ctx, c, source.BackupOptions{Level: source.LevelFull}, k)
		if err != nil {
			return err
		}
		for key, v := range meta {
			k.ss.SetLabel(key, v)
		}
		res, err := k.ss.Commit(ctx)
		if err != nil {
			return err
		}
		took := time.Since(start)
		after := r.Stats()
		fmt.Printf("backup=%d seconds=%.2f read=%d added=%d stored=%d snapshot=%s\n", i, took.Seconds(),
			res.Snapshot.Stats.BytesRead, after.BytesAdded-before.BytesAdded, after.BytesStored-before.BytesStored, res.ID)
	}
	return nil
}

// sink hands the driver's streams to a StreamSnapshot, as the backup
// operation's sink does.
type sink struct{ ss *archiver.StreamSnapshot }

func (k *sink) Files(context.Context, []string, source.FileOptions) error {
	return fmt.Errorf("streams only")
}

func (k *sink) Stream(ctx context.Context, name string, r io.Reader) error {
	return k.ss.Add(ctx, name, r)
}

func (k *sink) Expect(int64) {}
