// Package app is mmmctl's command tree: MMM's mmm_control commands with
// their exact output, plus status, history, switchover, configuration and
// keepalived tools. New builds the tree; main runs it and turns the error
// into an exit code with Report. Every API command makes one context from
// --timeout and one client from --api/--token-file/--config.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/version"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// defaultConfig is where mmmctl looks for the host's configuration (the
// file with `this`, which names the local API socket): config.DefaultPaths.
func defaultConfig() string { return config.DefaultPath() }

// Exit codes. MMM's mmm_control exited 0 even for ERROR replies.
const (
	ExitOK           = 0
	ExitError        = 1 // anything not listed below
	ExitUsage        = 2 // bad arguments or flags
	ExitUnreachable  = 3 // no connection to the coordinator, or not a coordinator
	ExitUnauthorized = 4 // the token was refused or cannot be read
	ExitRefused      = 5 // the state machine answered ERROR
	ExitUnknown      = 6 // unknown host, role, role IP or check
	ExitUnavailable  = 7 // no raft leader, leader unreachable, timeout; a stale read
	ExitConfig       = 8 // the configuration does not load or render
)

const exitCodesHelp = `Exit codes:
   0  success (an OK reply)
   1  any other error
   2  usage: bad arguments or flags
   3  the coordinator is unreachable (socket or address), or the address
      does not answer like an mmm-coordinator API
   4  unauthorized: wrong, missing or unreadable token
   5  the state machine refused the command (MMM's "ERROR: ..." reply)
   6  unknown host, role, role IP or check
   7  unavailable: no raft leader, leader unreachable, or timeout; show,
      status and checks answered by a node without a leader (the state is
      printed, but may be stale: --allow-stale exits 0)
   8  the configuration does not load, validate or render
   9  doctor found an error: a failover would not be safe`

// New returns mmmctl's command tree. Its Writer and ErrWriter may be
// replaced (tests); it never calls os.Exit.
func New() *cli.App {
	a := &cli.App{
		Name:    "mmmctl",
		Usage:   "control mmm-keepalived (MySQL-MMM's mmm_control, and more)",
		Version: version.Version,
		Description: `mmmctl talks to the local mmm-coordinator over its unix socket (found
through --config), or to any coordinator's TCP API with --api and
--token-file. Writes go to the raft leader; reads are answered by the
coordinator asked. MMM's commands print MMM's texts; unlike mmm_control,
an "ERROR: ..." reply exits non-zero.

Several clusters: as with mmm_control @CLUSTER, a first word @NAME (or
--cluster NAME) selects cluster NAME, whose configuration is
/etc/mmm-keepalived/mmm_NAME.conf (else /etc/mysql-mmm/mmm_agent_NAME.conf);
its coordinator's socket is that file's, /run/mmm-keepalived/mmm_NAME.sock
by default. Without it, the default cluster: mmm.conf. Not with --config.

Examples:
   mmmctl show
   mmmctl @c2 show
   mmmctl @c2 set_online db5
   mmmctl --api http://198.18.0.12:9991 --token-file /etc/mysql-mmm/api.token set_offline db3
   mmmctl --json status

` + exitCodesHelp,
		UsageText:            "mmmctl [@CLUSTER] [global options] command [command options] [arguments...]",
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Value: defaultConfig(), EnvVars: []string{"MMMCTL_CONFIG"},
				Usage: "configuration `FILE`: its 'this' host's api_socket, and api_token_file for --api"},
			&cli.StringFlag{Name: clusterFlag, Usage: "cluster `NAME` (MMM's @NAME): configuration /etc/mmm-keepalived/mmm_NAME.conf; not with --config"},
			&cli.StringFlag{Name: "api", EnvVars: []string{"MMMCTL_API"},
				Usage: "coordinator `URL`: http://HOST:PORT (TCP API) or unix:///PATH (default: the local socket)"},
			&cli.StringFlag{Name: "token-file", EnvVars: []string{"MMMCTL_TOKEN_FILE"},
				Usage: "bearer token `FILE` for --api (default: the configuration's api_token_file)"},
			jsonFlag,
			staleFlag,
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Action: checkTimeout,
				Usage: "give up after this `DURATION` (connecting, waiting for a leader, the answer)"},
			// Our MMM-style help command stops urfave/cli from adding -h.
			cli.HelpFlag,
		},
		Commands: commands(),
		Before:   selectCluster,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 && strings.HasPrefix(c.Args().First(), "@") {
				return usagef("%s: the @CLUSTER word comes before the command, once, and not with --cluster; see 'mmmctl --help'", c.Args().First())
			}
			if c.NArg() > 0 {
				return usagef("unknown command %q; see 'mmmctl help'", c.Args().First())
			}
			return usagef("no command given; see 'mmmctl help' or 'mmmctl --help'")
		},
		ExitErrHandler: func(*cli.Context, error) {}, // main maps errors to exit codes
	}
	a.OnUsageError = onUsageError
	for _, cmd := range a.Commands {
		setUsageError(cmd)
	}
	return a
}

func commands() []*cli.Command {
	var cmds []*cli.Command
	cmds = append(cmds, mmmCommands()...)
	cmds = append(cmds, clusterCommands()...)
	cmds = append(cmds, configCommand(), keepalivedCommand(), doctorCommand(), completionCommand())
	return cmds
}

var jsonFlag = &cli.BoolFlag{Name: "json", Usage: "print the answer as JSON"}

// staleFlag is for the reads that print the cluster's state (show,
// status, checks).
var staleFlag = &cli.BoolFlag{Name: "allow-stale",
	Usage: "exit 0 when the coordinator asked has no raft leader (its state may be stale; default: exit 7)"}

// wantJSON is true when --json was given globally or to the command.
func wantJSON(c *cli.Context) bool { return anyLevel(c, "json") }

// anyLevel is true when the boolean flag was given globally or to the
// command.
func anyLevel(c *cli.Context, flag string) bool {
	for _, x := range c.Lineage() {
		if x.Bool(flag) {
			return true
		}
	}
	return false
}

// staleRead fails a read answered by a node without a raft leader: it
// answers from its own state, which may be old (it is cut off from the
// others), and a script that reads show's output and exit code must not
// take that for the cluster's state. The state is printed all the same;
// --allow-stale accepts it.
func staleRead(c *cli.Context, node string, noLeader bool) error {
	if !noLeader || anyLevel(c, staleFlag.Name) {
		return nil
	}
	who := "the coordinator asked"
	if node != "" {
		who = node
	}
	return &exitError{code: ExitUnavailable,
		err: fmt.Errorf("%s has no raft leader: the state printed may be stale (--allow-stale accepts it)", who)}
}

// checkTimeout refuses a --timeout that is not positive: 0 or less
// would either never give up or give up at once, and neither is what
// the caller meant.
func checkTimeout(_ *cli.Context, d time.Duration) error {
	if d <= 0 {
		return usagef("--timeout: want a positive duration such as 5s, got %s", d)
	}
	return nil
}

// appContext is the one context of a command: --timeout from now.
func appContext(c *cli.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Context, c.Duration("timeout"))
}

// exitError carries an exit code; printed says the message is out
// already (an ERROR reply goes to stdout, as mmm_control printed it).
type exitError struct {
	code    int
	err     error
	printed bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &exitError{code: ExitUsage, err: err}
}

func setUsageError(cmd *cli.Command) {
	if cmd.OnUsageError == nil {
		cmd.OnUsageError = onUsageError
	}
	for _, sub := range cmd.Subcommands {
		setUsageError(sub)
	}
}

// ExitCode maps an error of the tree to its exit code.
func ExitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, api.ErrUnreachable), errors.Is(err, api.ErrNotCoordinator):
		return ExitUnreachable
	case errors.Is(err, api.ErrUnauthorized):
		return ExitUnauthorized
	case errors.Is(err, api.ErrUnknownName), errors.Is(err, keepalived.ErrHost):
		return ExitUnknown
	case errors.Is(err, api.ErrRefused):
		return ExitRefused
	case errors.Is(err, api.ErrNoLeader), errors.Is(err, api.ErrUnavailable),
		errors.Is(err, context.DeadlineExceeded):
		return ExitUnavailable
	case errors.Is(err, api.ErrBadRequest):
		return ExitUsage
	}
	return ExitError
}

// Report writes err (one "mmmctl: " line per line of its text, unless it
// was printed already) and returns the exit code. Its text may carry an
// API's message, so each line is printed escaped (printableCell).
func Report(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) || !ee.printed {
		for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
			fmt.Fprintf(w, "mmmctl: %s\n", printableCell(line))
		}
	}
	return ExitCode(err)
}
