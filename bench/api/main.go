// Command api is the load generator of Arca's HTTP API: C concurrent
// clients create selftest tasks (POST /api/v1/system/selftest), then read
// tasks (GET /api/v1/tasks/{id}), each for a fixed time, and it prints the
// rate and the p50/p99 latency of each. bench/api.sh runs it against a
// server with SQLite and one with PostgreSQL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/arcabackup/arca/internal/apiclient"
	"github.com/arcabackup/arca/internal/serverapi"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/api:", err)
		os.Exit(1)
	}
}

func run() error {
	url := flag.String("url", "http://127.0.0.1:8420", "server URL")
	token := flag.String("token", os.Getenv("ARCA_TOKEN"), "admin API token (default $ARCA_TOKEN)")
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "how long each phase runs")
	flag.Parse()
	c, err := apiclient.New(*url, apiclient.Options{Token: *token})
	if err != nil {
		return err
	}
	ctx := context.Background()
	var ids []string
	var mu sync.Mutex
	create := phase(ctx, "create", *clients, *duration, func(ctx context.Context) error {
		// Long tasks: the workers hold a few and the rest stay queued, so
		// both phases measure the API and the catalog, not task execution.
		a, err := c.CreateSelftest(ctx, serverapi.SelftestRequest{DurationMS: 600_000, Steps: 10})
		if err == nil {
			mu.Lock()
			ids = append(ids, a.Task.ID)
			mu.Unlock()
		}
		return err
	})
	fmt.Println(create)
	if len(ids) == 0 {
		return errors.New("no task was created")
	}
	// Reads check the status and drain the body without decoding it, as wrk
	// would: the generator shares the machine's CPU with the server.
	get := phase(ctx, "get", *clients, *duration, func(ctx context.Context) error {
		resp, err := c.Do(ctx, http.MethodGet, "/api/v1/tasks/"+ids[rand.IntN(len(ids))], nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET task: %s", resp.Status)
		}
		return nil
	})
	fmt.Println(get)
	return nil
}

// result is the outcome of one phase.
type result struct {
	name     string
	n, errs  int
	elapsed  time.Duration
	p50, p99 time.Duration
	firstErr error
}

func (r result) String() string {
	s := fmt.Sprintf("%-6s %8d requests in %5.1fs = %8.0f/s  p50 %6.2f ms  p99 %6.2f ms  errors %d",
		r.name, r.n, r.elapsed.Seconds(), float64(r.n)/r.elapsed.Seconds(),
		ms(r.p50), ms(r.p99), r.errs)
	if r.firstErr != nil {
		s += fmt.Sprintf(" (first: %v)", r.firstErr)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// phase runs op from n clients for d and measures each call.
func phase(ctx context.Context, name string, n int, d time.Duration, op func(context.Context) error) result {
	var wg sync.WaitGroup
	lat := make([][]time.Duration, n)
	errs := make([]int, n)
	var firstErr error
	var once sync.Once
	start := time.Now()
	deadline := start.Add(d)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := op(ctx)
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil {
					errs[i]++
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	r := result{name: name, elapsed: time.Since(start), firstErr: firstErr}
	var all []time.Duration
	for i := range n {
		all = append(all, lat[i]...)
		r.errs += errs[i]
	}
	slices.Sort(all)
	r.n = len(all)
	if r.n > 0 {
		r.p50, r.p99 = all[r.n/2], all[r.n*99/100]
	}
	return r
}
