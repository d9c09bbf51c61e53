package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/hook"
	"github.com/mmm-keepalived/mmm-keepalived/internal/version"
)

// Exit codes: the contract with keepalived (any non-zero is a failure).
const (
	exitHealthy = 0 // every check OK or UNKNOWN
	exitFailed  = 1 // a check failed
	exitUsage   = 2 // bad command line or configuration
)

// run is mmm-check without the process around it: it parses args, loads
// the configuration, runs the checks concurrently, prints one result per
// line to stdout and at most one line to stderr, and returns the exit
// code, within --timeout of being called.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	start := time.Now()
	o, err := parseArgs(args, io.Discard)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "mmm-check: %v (mmm-check --help explains)\n", err)
		return exitUsage
	case o.help:
		fmt.Fprint(stdout, usage)
		return exitHealthy
	case o.version:
		fmt.Fprintln(stdout, "mmm-check", version.Version)
		return exitHealthy
	}
	ctx, cancel := context.WithDeadline(ctx, start.Add(budget(o.timeout)))
	defer cancel()

	list, host, err := build(o)
	if err != nil {
		fmt.Fprintf(stderr, "mmm-check: %s\n", hook.OneLine(err))
		return exitUsage
	}
	results := make([]checks.Result, len(list))
	var wg sync.WaitGroup
	for i, c := range list {
		wg.Go(func() { results[i] = c.Run(ctx) })
	}
	wg.Wait()

	code := exitHealthy
	var failed, unknown []string
	for _, r := range results {
		fmt.Fprintf(stdout, "%s %s: %s\n", host, r.Check, r)
		switch r.Status {
		case checks.StatusOK:
		case checks.StatusUnknown:
			unknown = append(unknown, r.Check+": "+r.String())
		default:
			failed = append(failed, r.Check+": "+r.String())
			code = exitFailed
		}
	}
	switch {
	case len(failed) > 0:
		fmt.Fprintf(stderr, "mmm-check: %s: %s\n", host, hook.OneLine(errors.New(strings.Join(append(failed, unknown...), "; "))))
	case len(unknown) > 0:
		fmt.Fprintf(stderr, "mmm-check: %s: %s (UNKNOWN is not a failure: exit 0)\n", host, hook.OneLine(errors.New(strings.Join(unknown, "; "))))
	}
	return code
}

// build loads the configuration and builds the checks of the host.
func build(o options) ([]checks.Check, string, error) {
	cfg, err := config.LoadCluster(o.config, o.cluster)
	if err != nil {
		return nil, "", err
	}
	name, err := hook.HostName(cfg, o.config, o.host)
	if err != nil {
		return nil, "", err
	}
	h := cfg.Host(name)
	if h == nil {
		names := make([]string, len(cfg.Hosts))
		for i, h := range cfg.Hosts {
			names[i] = h.Name
		}
		return nil, "", fmt.Errorf("host %q is not in %s (hosts: %s)", name, o.config, strings.Join(names, ", "))
	}
	t, err := checks.TargetOf(h, true)
	if err != nil {
		return nil, "", err
	}
	var list []checks.Check
	for _, n := range o.checks {
		c, err := checks.New(n, cfg, t)
		if err != nil {
			return nil, "", err
		}
		list = append(list, c)
	}
	return list, name, nil
}
