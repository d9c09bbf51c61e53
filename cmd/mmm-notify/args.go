package main

import (
	"fmt"
	"io"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/hook"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// Defaults of the command line.
const (
	defaultTimeout = 2 * time.Second
	timeoutExample = "2s" // what a bad --timeout's message suggests
	// stopTimeout caps the deadline of a STOP notification: keepalived
	// kills the notify scripts still running about 1 s after it began to
	// stop (measured with keepalived 2.2.7).
	stopTimeout = 800 * time.Millisecond
)

// options is the parsed command line.
type options struct {
	config     string
	cluster    string // --cluster NAME: config is its file, loaded by name
	host       string
	timeout    time.Duration
	transition keepalived.Transition
	help       bool
	version    bool
}

// parseArgs reads [options] TYPE NAME STATE PRIORITY: the options come
// first, keepalived's words after them. Flag errors are written to errOut
// (io.Discard for a dry parse).
func parseArgs(args []string, errOut io.Writer) (options, error) {
	f := hook.NewFlags("mmm-notify", defaultTimeout, timeoutExample, errOut)
	rest, err := f.Parse(args)
	if err != nil {
		return options{}, err
	}
	o := options{config: f.Config, cluster: f.Cluster, host: f.Host, timeout: f.Timeout, help: f.Help, version: f.Version}
	if o.help || o.version {
		return o, nil
	}
	// keepalived appends exactly four after the options.
	t, err := keepalived.ParseNotifyArgsExact(rest)
	if err != nil {
		return o, fmt.Errorf("%w: %w", hook.ErrUsage, err)
	}
	o.transition = t
	return o, nil
}

// deadline is how long this notification may take: --timeout, capped
// for STOP.
func (o options) deadline() time.Duration {
	if o.transition.State == keepalived.StateStop {
		return min(o.timeout, stopTimeout)
	}
	return o.timeout
}

// budget is the time the work gets out of d; hardDeadline is when main
// gives up on run (hook.Budget, hook.HardDeadline).
func budget(d time.Duration) time.Duration       { return hook.Budget(d) }
func hardDeadline(d time.Duration) time.Duration { return hook.HardDeadline(d) }
