package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// errUsage marks a command-line mistake (exit 2).
var errUsage = errors.New("usage")

// options is the parsed command line.
type options struct {
	config    string
	cluster   string // --cluster NAME: config is its file, loaded by name
	host      string // "this" = the configuration's `this`
	witness   bool
	logFormat string // text | json
	logLevel  string // "" = from the configuration (debug 1 → debug, else info)
	transfer  bool   // keep raft leadership off the writer host
	help      bool
	version   bool
}

func parseArgs(args []string, errOut io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("mmm-coordinator", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {}
	fs.StringVar(&o.config, "config", config.DefaultPath(), "")
	fs.StringVar(&o.cluster, "cluster", "", "")
	fs.StringVar(&o.host, "host", "this", "")
	fs.BoolVar(&o.witness, "witness", false, "")
	fs.StringVar(&o.logFormat, "log-format", "text", "")
	fs.StringVar(&o.logLevel, "log-level", "", "")
	fs.BoolVar(&o.transfer, "leadership-transfer", true, "")
	fs.BoolVar(&o.help, "help", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.version, "version", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			o.help = true
			return o, nil
		}
		return o, fmt.Errorf("%w: %s", errUsage, strings.TrimSpace(err.Error()))
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if o.cluster != "" {
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "config" })
		if given {
			return o, fmt.Errorf("%w: --config and --cluster both name the configuration: give one", errUsage)
		}
		path, err := config.ClusterPath(o.cluster)
		if err != nil {
			return o, fmt.Errorf("%w: --cluster: %w", errUsage, err)
		}
		o.config = path
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return o, fmt.Errorf("%w: --log-format %q: want text or json", errUsage, o.logFormat)
	}
	if o.logLevel != "" {
		if _, err := parseLevel(o.logLevel); err != nil {
			return o, err
		}
	}
	return o, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, s)
	}
	return l, nil
}

const usage = `Usage: mmm-coordinator [flags]

Runs this host's member of the coordinators' raft group. The raft leader
is MySQL-MMM's monitor: it checks every host, decides with MMM's rules and
executes the actions; every member writes its own keepalived track_file
(writer eligibility, closed when it loses the leader for longer than
<coordinator> lease) and serves the API on api_socket and api_address.

Flags:
  --config FILE           cluster configuration (default /etc/mmm-keepalived/mmm.conf,
                          else /etc/mysql-mmm/mmm_agent.conf)
  --cluster NAME          the configuration of cluster NAME (mmmctl @NAME):
                          /etc/mmm-keepalived/mmm_NAME.conf, else
                          /etc/mysql-mmm/mmm_agent_NAME.conf; api_socket,
                          data_dir, track_file and notify_fifo default to
                          NAME's own paths (/run/mmm-keepalived/mmm_NAME.sock,
                          /var/lib/mmm-keepalived-NAME, ...). Not with
                          --config. The unit mmm-coordinator@NAME runs it.
  --host NAME             this host's name (default: the configuration's "this")
  --witness               no MySQL, no VIPs, no track file: a raft vote only
  --log-format text|json  log format on stderr (default text)
  --log-level LEVEL       debug, info, warn or error (default: debug when the
                          configuration says "debug 1", else info)
  --leadership-transfer   hand the raft leadership away from the writer host,
                          so that its death costs no election (default true;
                          --leadership-transfer=false to keep it)
  --version               print the version

Signals: SIGHUP reloads the log level, the check timings (check_period,
timeout, max_backlog, ...) and the API token; anything else needs a
restart. SIGTERM or SIGINT shut down within 5 s.
`
