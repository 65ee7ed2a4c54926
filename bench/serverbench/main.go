// Command serverbench measures backups through `arca server` against the
// offline `arca repo backup` of the same data (issue 4's speed targets):
//
//   - compare: per run, a first (full) and a no-change backup both ways,
//     each into its own fresh local repository, the two ways alternated.
//     The server's repository is opened by an earlier task (a structure
//     verify) first, so its keys and index are warm, as on a server that
//     has been running.
//   - nochange: POST /sources/{id}/backup → the long poll
//     GET /tasks/{id}?wait=60s answering succeeded, timed by the client.
//   - sse: a batch of the dataset's three directories (three sources, one
//     fresh repository per run) with 0 and with N clients watching the
//     batch over GET /tasks/{id}/events, alternated.
//
// It starts its own server (a fresh data directory under -scratch) and
// prints every sample and the medians. bench/server.sh builds it and runs
// it on the dataset of bench/dataset.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

type config struct {
	arca, data, scratch string
	port                int
	runs, nochange      int
	watchers            int
	phases              map[string]bool
	serverProfile       string
	offlineProfile      bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "serverbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	var c config
	var phases string
	flag.StringVar(&c.arca, "arca", "arca", "the arca binary")
	flag.StringVar(&c.data, "data", "/tmp/arca-srvbench/dataset/data", "the dataset (bench/dataset.sh DIR gives DIR/data)")
	flag.StringVar(&c.scratch, "scratch", "/tmp/arca-srvbench/scratch", "scratch directory (repositories, server data; emptied first)")
	flag.IntVar(&c.port, "port", 18490, "port of the server on 127.0.0.1")
	flag.IntVar(&c.runs, "runs", 3, "runs of compare and of each sse variant")
	flag.IntVar(&c.nochange, "nochange", 7, "no-change backups timed in the nochange phase")
	flag.IntVar(&c.watchers, "watchers", 20, "SSE watchers of the batch in the watched sse variant")
	flag.StringVar(&phases, "phases", "compare,nochange,sse", "phases to run")
	flag.StringVar(&c.serverProfile, "server-cpuprofile", "", "write the server's CPU profile of the whole run here")
	flag.BoolVar(&c.offlineProfile, "offline-cpuprofile", false, "write a CPU profile of each offline backup under -scratch/profiles")
	flag.Parse()
	c.phases = map[string]bool{}
	for _, p := range strings.Split(phases, ",") {
		c.phases[strings.TrimSpace(p)] = true
	}
	var err error
	if c.data, err = filepath.Abs(c.data); err != nil {
		return err
	}
	if err := os.RemoveAll(c.scratch); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(c.scratch, "profiles"), 0o700); err != nil {
		return err
	}
	srv, err := startServer(ctx, c)
	if err != nil {
		return err
	}
	defer srv.stop()
	b := &bench{cfg: c, srv: srv, cl: srv.client}
	return b.all(ctx)
}
