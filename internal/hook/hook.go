// Package hook is the command line that keepalived's two hooks share:
// mmm-check (vrrp_script) and mmm-notify (notify). Both take --config or
// --cluster, --host, --timeout, -h/--help and --version, both must answer within
// their --timeout, and both print one line that keepalived's log keeps.
// What follows the flags differs in substance and stays in each command:
// check names, in any order with the flags, for mmm-check; keepalived's
// four words, after the flags, for mmm-notify.
package hook

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// ErrUsage marks a command-line mistake: the hooks exit 2 on it.
var ErrUsage = errors.New("usage")

// Flags are the flags both hooks take, as parsed so far.
type Flags struct {
	Config  string        // --config FILE (default config.DefaultPath()); --cluster NAME's file
	Cluster string        // --cluster NAME: config.ClusterPath(NAME), loaded by name
	Host    string        // --host NAME; "" = the configuration's `this`
	Timeout time.Duration // --timeout DURATION
	Help    bool          // -h, --help
	Version bool          // --version

	fs *flag.FlagSet
}

// NewFlags returns the flags of the hook called name, with timeout as
// --timeout's default and example as the duration a bad --timeout's
// message suggests ("800ms"). The flag package writes its complaints to
// errOut (io.Discard for a dry parse).
func NewFlags(name string, timeout time.Duration, example string, errOut io.Writer) *Flags {
	f := &Flags{Timeout: timeout, fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(errOut)
	fs.Usage = func() {}
	fs.StringVar(&f.Config, "config", config.DefaultPath(), "")
	fs.StringVar(&f.Cluster, "cluster", "", "")
	fs.StringVar(&f.Host, "host", "", "")
	fs.Func("timeout", "", func(s string) error {
		d, err := ParseTimeout(s, example)
		f.Timeout = d
		return err
	})
	// Defined here, -h and -help never make Parse fail with flag.ErrHelp.
	fs.BoolVar(&f.Help, "help", false, "")
	fs.BoolVar(&f.Help, "h", false, "")
	fs.BoolVar(&f.Version, "version", false, "")
	return f
}

// Parse reads the flags at the head of args and returns the arguments
// from the first non-flag on. It may be called again on what follows
// that argument. Its errors wrap ErrUsage and are one line: the flag
// package's message without its usage dump. --cluster NAME sets Config
// to the cluster's file; with --config as well, or a bad name, it is an
// error.
func (f *Flags) Parse(args []string) ([]string, error) {
	if err := f.fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrUsage, strings.TrimSpace(strings.SplitN(err.Error(), "\n", 2)[0]))
	}
	if err := f.cluster(); err != nil {
		return nil, err
	}
	return f.fs.Args(), nil
}

// cluster points Config at --cluster's file.
func (f *Flags) cluster() error {
	if f.Cluster == "" {
		return nil
	}
	given := false
	f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == "config" })
	if given {
		return fmt.Errorf("%w: --config and --cluster both name the configuration: give one", ErrUsage)
	}
	path, err := config.ClusterPath(f.Cluster)
	if err != nil {
		return fmt.Errorf("%w: --cluster: %w", ErrUsage, err)
	}
	f.Config = path
	return nil
}

// ParseTimeout reads a Go duration (800ms) or seconds as in MMM's
// configuration (0.8). It must be positive; example is the duration the
// error suggests.
func ParseTimeout(s, example string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, fmt.Errorf("expected a duration such as %s or 0.8, got %q", example, s)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive, got %q", s)
	}
	return d, nil
}

// HostName is the host --host names, else the configuration's `this`;
// path is the configuration's file, for the error.
func HostName(cfg *config.Config, path, host string) (string, error) {
	if host == "" {
		host = cfg.This
	}
	if host == "" {
		return "", fmt.Errorf("%s names no host (`this`): pass --host NAME", path)
	}
	return host, nil
}
