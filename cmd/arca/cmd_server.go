package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/arcabackup/arca/internal/auth"
	"github.com/arcabackup/arca/internal/catalog"
	"github.com/arcabackup/arca/internal/ops"
	"github.com/arcabackup/arca/internal/server"
	"github.com/arcabackup/arca/internal/task"
)

func newServerCmd(m *Main) *cobra.Command {
	var c serverConfig
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Arca server",
		Long: "Run the Arca server: the HTTP API and the task workers, on a data directory.\n\n" +
			"Every flag can also be set as ARCA_<FLAG> (for example ARCA_LISTEN) or in the JSON file of --config-file.\n" +
			"On first start the server creates an admin API token: ARCA_ADMIN_TOKEN if set, else a new one printed once.",
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := layer(cmd.Flags(), m.Getenv); err != nil {
				return err
			}
			return m.runServer(cmd.Context(), c)
		},
	}
	c.flags(cmd.Flags())
	return cmd
}

// runServer runs until ctx ends, then shuts down gracefully: it stops
// accepting requests, ends long polls and streams, stops claiming tasks,
// gives running tasks the shutdown timeout to finish (then interrupts them,
// to be resumed or failed INTERRUPTED at the next start) and closes the
// catalog.
func (m *Main) runServer(ctx context.Context, c serverConfig) error {
	log, err := newLogger(m.Stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	defer m.tuneServerGC()()
	if c.CPUProfile != "" {
		stop, err := startCPUProfile(c.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := os.MkdirAll(c.Data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if fi, err := os.Stat(c.Data); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the data directory is readable by others: chmod 700 it", "data", c.Data, "mode", fi.Mode().Perm().String())
	}
	release, err := lockData(c.Data)
	if err != nil {
		return err
	}
	defer release()
	plan, err := planTLS(c, m.Now())
	if err != nil {
		return err
	}
	store, single, err := openCatalog(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := m.bootstrapToken(ctx, store); err != nil {
		return err
	}
	identity := auth.NewService(store, auth.ServiceOptions{Logger: log,
		Sessions: auth.SessionOptions{Idle: c.SessionIdle, Absolute: c.SessionLifetime}})
	if err := m.bootstrapAdmin(ctx, c, identity, log); err != nil {
		return err
	}
	box, err := m.masterKey(c, log)
	if err != nil {
		return err
	}
	engine := task.New(store, task.Options{Workers: c.Workers, Logger: log, SingleProcess: single})
	engine.Register(ops.OpSelftest, ops.Selftest())
	svc, err := m.newOps(c, store, box, log)
	if err != nil {
		return err
	}
	svc.Register(engine)
	defer svc.Repos().Close()
	if err := engine.Start(ctx); err != nil {
		return fmt.Errorf("start task engine: %w", err)
	}
	api := server.New(server.Options{Tasks: engine, Auth: identity, Identity: identity, Directory: store,
		Ready: store, Logger: log, Version: m.Version, MaxBodyBytes: c.MaxBodyBytes, Catalog: store, Ops: svc})
	serveErr := m.serve(ctx, c, plan, api, log)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
	defer cancel()
	if err := engine.Stop(stopCtx); err != nil {
		log.Error("stop task engine", "err", err)
	}
	log.Info("server stopped")
	return serveErr
}

// serve accepts requests until ctx ends, then stops accepting and waits
// (briefly) for the requests in flight.
func (m *Main) serve(ctx context.Context, c serverConfig, plan tlsPlan, api *server.Server, log *slog.Logger) error {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	hs := &http.Server{
		// No ReadTimeout: it would cancel long polls and event streams
		// (request bodies have their own 5 s read deadline in huma).
		Handler: api, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 90 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		TLSConfig: plan.config, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	hs.RegisterOnShutdown(api.Drain)
	scheme := "http"
	if plan.config != nil {
		scheme = "https"
		ln = tls.NewListener(ln, plan.config)
	}
	base := scheme + "://" + ln.Addr().String()
	m.announce(base, plan, c, log)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("requests still running at shutdown", "err", err)
		hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func (m *Main) announce(base string, plan tlsPlan, c serverConfig, log *slog.Logger) {
	log.Info("arca server listening", "url", base, "data", c.Data, "workers", c.Workers)
	if plan.fingerprint != "" {
		log.Info("TLS certificate", "sha256_fingerprint", plan.fingerprint, "self_signed", plan.selfSigned)
		fmt.Fprintf(m.Stderr, "TLS certificate SHA-256 fingerprint: %s\n  (clients pin it: arca login %s --fingerprint %s)\n",
			plan.fingerprint, base, plan.fingerprint)
	}
	if plan.config == nil && !isLoopback(c.Listen) {
		log.Warn("serving plain HTTP on a non-loopback address: API tokens travel in clear", "listen", c.Listen)
	}
	if m.Listening != nil {
		m.Listening(base)
	}
}

// openCatalog opens the catalog the configuration names; single reports
// that no other process may share it (SQLite).
func openCatalog(ctx context.Context, c serverConfig) (catalog.Store, bool, error) {
	url := c.Catalog
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		s, err := openPostgres(ctx, url)
		return s, false, err
	}
	path := strings.TrimPrefix(url, "sqlite:")
	if path == "" {
		path = filepath.Join(c.Data, "catalog.db")
	}
	// A SQLite catalog belongs to one process (it rescues every running
	// task at start): lock one kept outside the data directory too.
	release := func() {}
	if filepath.Dir(filepath.Clean(path)) != filepath.Clean(c.Data) {
		var err error
		if release, err = lockFile(path+".lock", "SQLite catalog "+path); err != nil {
			return nil, true, err
		}
	}
	s, err := openSQLite(ctx, path)
	if err != nil {
		release()
		return nil, true, err
	}
	return releasing{Store: s, release: release}, true, nil
}

// releasing is a catalog that drops a lock when closed.
type releasing struct {
	catalog.Store
	release func()
}

func (r releasing) Close() error {
	defer r.release()
	return r.Store.Close()
}

// bootstrapToken creates the first admin token, printing it once if it
// was generated.
func (m *Main) bootstrapToken(ctx context.Context, store catalog.TokenStore) error {
	plain, err := auth.Bootstrap(ctx, store, m.Getenv("ARCA_ADMIN_TOKEN"), m.Now())
	if err != nil {
		return err
	}
	if plain != "" {
		bar := strings.Repeat("=", 78)
		fmt.Fprintf(m.Stderr, "%s\nAn admin API token was created. It is shown ONCE and stored only as a hash:\n\n    %s\n\n"+
			"Log in with:  arca login <server URL> --token <the token above>\n%s\n", bar, plain, bar)
	}
	return nil
}

func newLogger(w interface{ Write([]byte) (int, error) }, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level=%q: use debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch format {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, usageError{fmt.Errorf("--log-format=%q: use text or json", format)}
	}
	return slog.New(server.LogHandler(h)), nil
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
