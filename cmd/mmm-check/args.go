package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Defaults of the command line.
const (
	defaultTimeout = 800 * time.Millisecond // keepalived's script timeout is 1 s
	defaultCheck   = "mysql"
)

// errUsage marks a command-line mistake (exit 2, like a bad configuration).
var errUsage = errors.New("usage")

// options is the parsed command line.
type options struct {
	config  string
	host    string
	timeout time.Duration
	checks  []string
	help    bool
	version bool
}

// parseArgs reads the command line. Flags and check names may come in any
// order. Flag errors are written to errOut (io.Discard for a dry parse).
func parseArgs(args []string, errOut io.Writer) (options, error) {
	o := options{timeout: defaultTimeout}
	fs := flag.NewFlagSet("mmm-check", flag.ContinueOnError)
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
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				o.help = true
				return o, nil
			}
			return o, fmt.Errorf("%w: %s", errUsage, flagError(err))
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		o.checks = append(o.checks, args[0])
		args = args[1:]
	}
	if len(o.checks) == 0 {
		o.checks = []string{defaultCheck}
	}
	for _, c := range o.checks {
		if !slices.Contains(checks.Names, c) {
			return o, fmt.Errorf("%w: unknown check %q (checks: %s)", errUsage, c, strings.Join(checks.Names, ", "))
		}
	}
	return o, nil
}

// flagError is the flag package's message without its usage dump.
func flagError(err error) string {
	return strings.TrimSpace(strings.SplitN(err.Error(), "\n", 2)[0])
}

// parseTimeout reads a Go duration (800ms) or seconds as in MMM's
// configuration (0.8).
func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, fmt.Errorf("expected a duration such as 800ms or 0.8, got %q", s)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive, got %q", s)
	}
	return d, nil
}

// budget is the time the checks get out of timeout: the rest is left for
// printing and exiting.
func budget(timeout time.Duration) time.Duration {
	return timeout - reserve(timeout)
}

// hardDeadline is when main gives up on run: half of the reserve after
// the checks' deadline.
func hardDeadline(timeout time.Duration) time.Duration {
	return timeout - reserve(timeout)/2
}

func reserve(timeout time.Duration) time.Duration { return min(timeout/10, 50*time.Millisecond) }
