package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// Defaults of the command line.
const (
	defaultTimeout = 2 * time.Second
	// stopTimeout caps the deadline of a STOP notification: keepalived
	// kills the notify scripts still running about 1 s after it began to
	// stop (measured with keepalived 2.2.7).
	stopTimeout = 800 * time.Millisecond
)

// errUsage marks a command-line mistake (exit 2).
var errUsage = errors.New("usage")

// options is the parsed command line.
type options struct {
	config     string
	host       string
	timeout    time.Duration
	transition keepalived.Transition
	help       bool
	version    bool
}

// parseArgs reads [options] TYPE NAME STATE PRIORITY. Flag errors are
// written to errOut (io.Discard for a dry parse).
func parseArgs(args []string, errOut io.Writer) (options, error) {
	o := options{timeout: defaultTimeout}
	fs := flag.NewFlagSet("mmm-notify", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {}
	fs.StringVar(&o.config, "config", config.DefaultPath(), "")
	fs.StringVar(&o.host, "host", "", "")
	fs.Func("timeout", "", func(s string) error {
		d, err := parseTimeout(s)
		o.timeout = d
		return err
	})
	fs.BoolVar(&o.help, "help", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.version, "version", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			o.help = true
			return o, nil
		}
		return o, fmt.Errorf("%w: %s", errUsage, strings.TrimSpace(strings.SplitN(err.Error(), "\n", 2)[0]))
	}
	if o.help || o.version {
		return o, nil
	}
	// keepalived appends exactly four after the options.
	t, err := keepalived.ParseNotifyArgsExact(fs.Args())
	if err != nil {
		return o, fmt.Errorf("%w: %w", errUsage, err)
	}
	o.transition = t
	return o, nil
}

// parseTimeout reads a Go duration (2s) or seconds (2, 0.8).
func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, fmt.Errorf("expected a duration such as 2s or 0.8, got %q", s)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive, got %q", s)
	}
	return d, nil
}

// deadline is how long this notification may take: --timeout, capped
// for STOP.
func (o options) deadline() time.Duration {
	if o.transition.State == keepalived.StateStop {
		return min(o.timeout, stopTimeout)
	}
	return o.timeout
}

// budget is the time the work gets out of d: the rest is for writing the
// outcome and exiting.
func budget(d time.Duration) time.Duration { return d - reserve(d) }

// hardDeadline is when main gives up on run: half of the reserve later.
func hardDeadline(d time.Duration) time.Duration { return d - reserve(d)/2 }

func reserve(d time.Duration) time.Duration { return min(d/10, 50*time.Millisecond) }
