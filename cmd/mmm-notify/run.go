package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/hook"
	"github.com/mmm-keepalived/mmm-keepalived/internal/version"
	"github.com/mmm-keepalived/mmm-keepalived/notify"
)

// Exit codes. keepalived ignores them; they are for people and tests.
const (
	exitOK        = 0 // done: fenced and verified, reported, or nothing to do
	exitNotFenced = 1 // the fence was needed and failed: the local MySQL may accept writes
	exitUsage     = 2 // bad command line or configuration
)

// run is mmm-notify without the process around it: it parses args, loads
// the configuration, handles the notification within its deadline, writes
// the outcome in one line (stdout, or stderr on failure) and to syslog and
// notify_log, and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, openLogs)
}

// runWith is run with the logs opened by logs (nil = none).
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, logs opener) int {
	start := time.Now()
	o, err := parseArgs(args, io.Discard)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "mmm-notify: %s (mmm-notify --help explains)\n", hook.OneLine(err))
		return exitUsage
	case o.help:
		fmt.Fprint(stdout, usage)
		return exitOK
	case o.version:
		fmt.Fprintln(stdout, "mmm-notify", version.Version)
		return exitOK
	}
	d := o.deadline()
	ctx, cancel := context.WithDeadline(ctx, start.Add(budget(d)))
	defer cancel()

	cfg, host, h, err := build(o, budget(d))
	if err != nil {
		fmt.Fprintf(stderr, "mmm-notify: %s\n", hook.OneLine(err))
		return exitUsage
	}
	var sink lineWriter = discard{}
	if logs != nil {
		sink = logs(cfg.Keepalived.NotifyLog)
		defer sink.Close()
	}

	// Serialise with the other mmm-notify of this host, for at most half
	// of the time: a predecessor stuck on a frozen server must not cost
	// this notification its fence.
	var note string
	lctx, lcancel := context.WithTimeout(ctx, budget(d)/2)
	unlock, err := notify.Lock(lctx, notify.LockFile(cfg.Host(host).TrackFile, host))
	lcancel()
	if err != nil {
		note = "; without the lock: " + err.Error()
	} else {
		defer unlock()
	}

	out := h.Handle(ctx, o.transition)
	line := "mmm-notify: " + out.String() + note
	if out.Err() != nil {
		fmt.Fprintln(stderr, line)
		sink.WriteLine(true, line)
		return exitNotFenced
	}
	fmt.Fprintln(stdout, line)
	sink.WriteLine(false, line)
	return exitOK
}

// build loads the configuration and the handler of the host.
func build(o options, budget time.Duration) (*config.Config, string, *notify.Handler, error) {
	cfg, err := config.LoadCluster(o.config, o.cluster)
	if err != nil {
		return nil, "", nil, err
	}
	host, err := hook.HostName(cfg, o.config, o.host)
	if err != nil {
		return nil, "", nil, err
	}
	h, err := notify.New(cfg, host, budget)
	if err != nil {
		return nil, "", nil, err
	}
	return cfg, host, h, nil
}
