package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/internal/hook"
)

// Defaults of the command line.
const (
	defaultTimeout = 800 * time.Millisecond // keepalived's script timeout is 1 s
	timeoutExample = "800ms"                // what a bad --timeout's message suggests
	defaultCheck   = "mysql"
)

// options is the parsed command line.
type options struct {
	config  string
	cluster string // --cluster NAME: config is its file, loaded by name
	host    string
	timeout time.Duration
	checks  []string
	help    bool
	version bool
}

// parseArgs reads the command line. Flags and check names may come in any
// order. Flag errors are written to errOut (io.Discard for a dry parse).
func parseArgs(args []string, errOut io.Writer) (options, error) {
	f := hook.NewFlags("mmm-check", defaultTimeout, timeoutExample, errOut)
	var names []string
	for {
		rest, err := f.Parse(args)
		if err != nil {
			return options{}, err
		}
		if len(rest) == 0 {
			break
		}
		names = append(names, rest[0])
		args = rest[1:]
	}
	o := options{config: f.Config, cluster: f.Cluster, host: f.Host, timeout: f.Timeout, checks: names, help: f.Help, version: f.Version}
	if len(o.checks) == 0 {
		o.checks = []string{defaultCheck}
	}
	for _, c := range o.checks {
		if !slices.Contains(checks.Names, c) {
			return o, fmt.Errorf("%w: unknown check %q (checks: %s)", hook.ErrUsage, c, strings.Join(checks.Names, ", "))
		}
	}
	return o, nil
}

// parseTimeout reads --timeout (hook.ParseTimeout).
func parseTimeout(s string) (time.Duration, error) { return hook.ParseTimeout(s, timeoutExample) }

// budget is the time the checks get out of timeout; hardDeadline is when
// main gives up on run (hook.Budget, hook.HardDeadline).
func budget(timeout time.Duration) time.Duration       { return hook.Budget(timeout) }
func hardDeadline(timeout time.Duration) time.Duration { return hook.HardDeadline(timeout) }
