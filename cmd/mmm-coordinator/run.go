package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/journal"
	"github.com/mmm-keepalived/mmm-keepalived/internal/version"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime error
	exitUsage   = 2 // bad command line or configuration
)

// shutdownLimit bounds the whole shutdown after SIGTERM.
const shutdownLimit = 5 * time.Second

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, io.Discard)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "mmm-coordinator: %v (mmm-coordinator --help explains)\n", err)
		return exitUsage
	case o.help:
		fmt.Fprint(stdout, usage)
		return exitOK
	case o.version:
		fmt.Fprintln(stdout, "mmm-coordinator", version.Version)
		return exitOK
	}
	level := new(slog.LevelVar)
	f, _ := stderr.(*os.File)
	log := newLogger(o.logFormat, level, stderr, journal.Stream(f))
	cfg, err := config.LoadCluster(o.config, o.cluster)
	if err != nil {
		log.Error("configuration", "err", err)
		return exitUsage
	}
	level.Set(levelFor(o, cfg))
	for _, w := range cfg.Warnings {
		log.Warn("configuration", "warning", w)
	}
	host := o.host
	if host == "this" {
		host = cfg.This
	}
	if host == "" {
		log.Error("configuration", "err", "no host: set `this` in the configuration or use --host")
		return exitUsage
	}
	log = log.With("node", host)
	// go-sql-driver's own messages ("closing bad idle connection: EOF")
	// are what the checks and the watcher report better: debug only.
	_ = mysql.SetLogger(driverLog{log.With("component", "mysql-driver")})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, o, cfg, host, level, log); err != nil {
		log.Error("mmm-coordinator stopped", "err", err)
		if errors.Is(err, coordinator.ErrConfig) || errors.Is(err, api.ErrNoToken) {
			return exitUsage
		}
		return exitFailure
	}
	log.Info("mmm-coordinator stopped")
	return exitOK
}

// serve runs the coordinator and its API until ctx ends.
func serve(ctx context.Context, o options, cfg *config.Config, host string, level *slog.LevelVar, log *slog.Logger) error {
	h := cfg.Host(host)
	if h == nil {
		return fmt.Errorf("%w: host %q is not in %s", coordinator.ErrConfig, host, o.config)
	}
	prober, err := coordinator.NewCheckProber(cfg)
	if err != nil {
		return err
	}
	metrics := coordinator.NewMetrics()
	c, err := coordinator.New(coordinator.Options{
		Config: cfg, Host: host, Witness: o.witness, Logger: log,
		Prober: prober, Inspector: prober, // one connection per host for both
		Retry: coordinator.RetryPolicy{Timeouts: map[string]time.Duration{
			coordinator.KindFence:   cfg.Coordinator.FenceTimeout,
			coordinator.KindCatchUp: cfg.Coordinator.CatchupTimeout + 5*time.Second,
		}},
		ExecuteSQL: true, ReaderVIPs: readerVIPs(cfg, host, o.witness),
		Metrics: metrics, LeadershipTransfer: o.transfer,
	})
	if err != nil {
		return err
	}
	srv := api.NewServer(c, api.ServerOptions{TokenFile: cfg.Coordinator.APITokenFile, ReadTokenFile: cfg.Coordinator.APIReadTokenFile, Metrics: metrics.Handler(),
		ShutdownTimeout: 3 * time.Second, Version: version.Version}, log.With("component", "api"))

	// Everything below stops when ctx ends; errc collects the first
	// failure, which also ends the rest.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	goRun := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	goRun("coordinator", c.Run)
	goRun("api socket", func(ctx context.Context) error { return srv.ServeUnix(ctx, h.APISocket) })
	goRun("api tcp", func(ctx context.Context) error { return srv.ServeTCP(ctx, h.APIAddress) })

	if err := waitSocket(ctx, h.APISocket); err == nil {
		notify(log, "READY=1\nSTATUS="+c.Status())
		log.Info("mmm-coordinator ready", "raft", h.RaftAddress, "api", h.APIAddress, "socket", h.APISocket,
			"witness", o.witness, "version", version.Version)
	}
	mainLoop(ctx, o, c, prober, srv, level, log)

	// Shut down: bounded, whatever hangs.
	notify(log, "STOPPING=1")
	cancel()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownLimit):
		return errors.New("shutdown took longer than 5 s; exiting anyway")
	}
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// mainLoop pets systemd's watchdog, refreshes STATUS= and handles SIGHUP
// until ctx ends.
func mainLoop(ctx context.Context, o options, c *coordinator.Coordinator, prober *coordinator.CheckProber,
	srv *api.Server, level *slog.LevelVar, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	pet := watchdogInterval(log)
	t := time.NewTicker(pet)
	defer t.Stop()
	status, stalled := "", false
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reload(o, c, prober, srv, level, log)
		case <-t.C:
			// A stuck loop stops the petting: systemd then restarts the
			// process (WatchdogSec) instead of keeping a coordinator that
			// answers its API and does nothing.
			msg, s := "WATCHDOG=1", c.Status()
			if why := c.Stalled(); why != "" {
				msg, s = "", "stalled: "+why
				if !stalled {
					log.Error("a loop is stuck: no longer petting systemd's watchdog", "why", why)
				}
			}
			stalled = strings.HasPrefix(s, "stalled: ")
			if s != status {
				status = s
				msg = strings.TrimPrefix(msg+"\nSTATUS="+s, "\n")
			}
			if msg != "" {
				notify(log, msg)
			}
		}
	}
}

// reload applies a changed configuration where that is safe: the log
// level, the check timings and the checks' settings, the API token.
// Hosts, roles, addresses and raft settings need a restart.
func reload(o options, c *coordinator.Coordinator, prober *coordinator.CheckProber, srv *api.Server, level *slog.LevelVar, log *slog.Logger) {
	cfg, err := config.LoadCluster(o.config, o.cluster)
	if err != nil {
		log.Error("SIGHUP: configuration not reloaded", "err", err)
		return
	}
	level.Set(levelFor(o, cfg))
	if err := prober.Reload(cfg); err != nil {
		log.Error("SIGHUP: checks not reloaded", "err", err)
		return
	}
	c.Reload(cfg)
	if err := srv.ReloadToken(); err != nil {
		log.Error("SIGHUP: API token not reloaded", "err", err)
	}
	log.Info("SIGHUP: reloaded the log level, check timings and API token", "level", level.Level().String())
}

// readerVIPs is the host's reader VIP interface; a witness has none.
func readerVIPs(cfg *config.Config, host string, witness bool) coordinator.VIPDialer {
	if h := cfg.Host(host); witness || h == nil || h.Mode == config.HostModeWitness {
		return nil
	}
	return coordinator.DialReaderVIPs(cfg, host)
}

func levelFor(o options, cfg *config.Config) slog.Level {
	if o.logLevel != "" {
		l, _ := parseLevel(o.logLevel)
		return l
	}
	if cfg.Debug {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// newLogger logs in format to w; journald: w is the journal, each line
// gets its syslog priority.
func newLogger(format string, level *slog.LevelVar, w io.Writer, journald bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		// MMM's FATAL (above ERROR) keeps its name.
		if a.Key == slog.LevelKey && len(groups) == 0 {
			if l, ok := a.Value.Any().(slog.Level); ok && l > slog.LevelError {
				a.Value = slog.StringValue("FATAL")
			}
		}
		return a
	}}
	inner := func(w io.Writer) slog.Handler {
		if format == "json" {
			return slog.NewJSONHandler(w, opts)
		}
		return slog.NewTextHandler(w, opts)
	}
	if journald {
		return slog.New(journal.NewHandler(w, inner))
	}
	return slog.New(inner(w))
}

// driverLog passes go-sql-driver's messages to slog at debug level.
type driverLog struct{ log *slog.Logger }

func (d driverLog) Print(v ...any) { d.log.Debug(strings.TrimSpace(fmt.Sprint(v...))) }

// waitSocket waits until the API answers on its unix socket.
func waitSocket(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "unix", path)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
