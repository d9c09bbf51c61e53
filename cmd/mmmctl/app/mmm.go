package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// mmmCommands are mmm_control's commands. Their output is MMM's
// text followed by one newline, as mmm_control printed the monitor's
// answer.
func mmmCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name: "help", Usage: "show MMM's command list (mmmctl --help: flags and exit codes)",
			ArgsUsage: "[command]", Description: "Example:\n   mmmctl help\n   mmmctl help move_role",
			Action: helpAction,
		},
		{
			Name: "ping", Usage: "ping the coordinator", Flags: []cli.Flag{jsonFlag},
			Description: "Prints \"OK: Pinged successfully!\" when the coordinator answers.\n\nExample:\n   mmmctl ping",
			Action:      pingAction,
		},
		{
			Name: "show", Usage: "show status", Flags: []cli.Flag{jsonFlag, staleFlag},
			Description: "Hosts with their state and roles, as mmm_control show printed them;\n" +
				"--json prints the whole snapshot (spec, state, raft, observations).\n" +
				"A coordinator without a raft leader answers from a state that may be\n" +
				"stale: it is printed, and mmmctl exits 7 unless --allow-stale.\n\nExample:\n   mmmctl show",
			Action: showAction,
		},
		{
			Name: "checks", Usage: "show checks status", ArgsUsage: "[<host>|all [<check>|all]]", Flags: []cli.Flag{jsonFlag, staleFlag},
			Description: "Checks are ping, mysql, rep_threads and rep_backlog. Exits 7 when the\n" +
				"coordinator asked has no raft leader, unless --allow-stale.\n\n" +
				"Example:\n   mmmctl checks\n   mmmctl checks db2 rep_backlog",
			Action:       checksAction,
			BashComplete: completeHosts,
		},
		hostCommand(fsm.OpSetOnline, "set host <host> online",
			"From ADMIN_OFFLINE or AWAITING_RECOVERY. --force skips the check that the\n"+
				"host replicates, caught up, from the active master.\n\nExample:\n   mmmctl set_online db3",
			&cli.BoolFlag{Name: "force", Usage: "do not require verified replication from the active master"}),
		hostCommand(fsm.OpSetOffline, "set host <host> offline",
			"Removes its roles and stops its replication.\n\nExample:\n   mmmctl set_offline db3"),
		modeCommand(fsm.OpMode, "print current mode.", "Prints ACTIVE, MANUAL, WAIT or PASSIVE."),
		modeCommand(fsm.OpSetActive, "switch into active mode.", "Roles are distributed and failed over automatically."),
		modeCommand(fsm.OpSetManual, "switch into manual mode.", "Roles move only by move_role; failed hosts still lose theirs."),
		modeCommand(fsm.OpSetPassive, "switch into passive mode.", "Nothing is changed on the hosts until set_active or set_manual."),
		{
			Name: "move_role", Usage: "move exclusive role <role> to host <host>", ArgsUsage: "[--force] <role> <host>",
			Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Usage: "move the active master role to a REPLICATION_FAIL/DELAY host (only if you know what you are doing!)"}, jsonFlag},
			Description: "A balanced role is removed from <host> instead. The writer's handover\n" +
				"closes the old writer, fences it, catches <host> up and promotes it.\n\n" +
				"Example:\n   mmmctl move_role writer db2\n   mmmctl move_role --force writer db2",
			Action: func(c *cli.Context) error {
				if err := wantArgs(c, 2); err != nil {
					return err
				}
				return runCommand(c, fsm.Command{Op: fsm.OpMoveRole, Role: c.Args().Get(0), Host: c.Args().Get(1), Force: c.Bool("force")})
			},
			BashComplete: completeRolesAndHosts,
		},
		{
			Name: "set_ip", Usage: "set role with ip <ip> to host <host>", ArgsUsage: "<ip> <host>", Flags: []cli.Flag{jsonFlag},
			Description: "PASSIVE mode only; applied when the mode changes.\n\nExample:\n   mmmctl set_ip 198.18.0.101 db2",
			Action: func(c *cli.Context) error {
				if err := wantArgs(c, 2); err != nil {
					return err
				}
				return runCommand(c, fsm.Command{Op: fsm.OpSetIP, IP: c.Args().Get(0), Host: c.Args().Get(1)})
			},
		},
	}
}

// hostCommand is set_online or set_offline; a flag is set_online's --force.
func hostCommand(op fsm.Op, usage, desc string, flags ...cli.Flag) *cli.Command {
	args := "<host>"
	if len(flags) > 0 {
		args = "[--force] <host>"
	}
	return &cli.Command{
		Name: op.String(), Usage: usage, ArgsUsage: args, Description: desc, Flags: append(flags, jsonFlag),
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 1); err != nil {
				return err
			}
			return runCommand(c, fsm.Command{Op: op, Host: c.Args().First(), Force: c.Bool("force")})
		},
		BashComplete: completeHosts,
	}
}

func modeCommand(op fsm.Op, usage, desc string) *cli.Command {
	return &cli.Command{
		Name: op.String(), Usage: usage, Flags: []cli.Flag{jsonFlag},
		Description: desc + "\n\nExample:\n   mmmctl " + op.String(),
		Action: func(c *cli.Context) error {
			if err := wantArgs(c, 0); err != nil {
				return err
			}
			return runCommand(c, fsm.Command{Op: op})
		},
	}
}

// wantArgs checks the number of arguments.
func wantArgs(c *cli.Context, n int) error {
	if c.NArg() == n {
		return nil
	}
	usage := c.Command.ArgsUsage
	if usage == "" {
		usage = "no arguments"
	}
	return usagef("%s: want %s, got %d argument(s)", c.Command.Name, usage, c.NArg())
}

// runCommand sends an MMM command to the leader and prints the reply.
func runCommand(c *cli.Context, cmd fsm.Command) error {
	rep, err := ask(c, func(cl *api.Client, ctx context.Context) (fsm.Reply, error) { return cl.Command(ctx, cmd) })
	return printReply(c, api.CommandResponse{Command: cmd.String(), OK: rep.OK, Text: rep.Text}, err)
}

// printReply prints a state machine's reply, OK or ERROR, to stdout as
// mmm_control did; an ERROR reply also exits non-zero.
func printReply(c *cli.Context, resp api.CommandResponse, err error) error {
	refused := !resp.OK && resp.Text != "" && (errors.Is(err, api.ErrRefused) || errors.Is(err, api.ErrUnknownName))
	if err != nil && !refused {
		return err
	}
	if wantJSON(c) {
		if perr := printJSON(c, resp); perr != nil {
			return perr
		}
	} else {
		fmt.Fprintln(c.App.Writer, printable(resp.Text))
	}
	if refused {
		return &exitError{code: ExitCode(err), err: err, printed: true}
	}
	return nil
}

func pingAction(c *cli.Context) error {
	_, err := query(c, 0, (*api.Client).Ping, func(p api.PingResponse) error {
		fmt.Fprintln(c.App.Writer, printable(p.Text))
		return nil
	})
	return err
}

func showAction(c *cli.Context) error {
	snap, err := query(c, 0, (*api.Client).Snapshot, func(snap api.Snapshot) error {
		for _, w := range snap.Warnings {
			fmt.Fprintf(c.App.ErrWriter, "mmmctl: warning: %s\n", printableCell(w))
		}
		fmt.Fprintln(c.App.Writer, printable(fsm.Show(snap.Spec, snap.State)))
		return nil
	})
	if err != nil {
		return err
	}
	return staleRead(c, snap.Node, snap.Leader == "")
}

func checksAction(c *cli.Context) error {
	if c.NArg() > 2 {
		return usagef("checks: want [<host>|all [<check>|all]], got %d arguments", c.NArg())
	}
	resp, err := ask(c, func(cl *api.Client, ctx context.Context) (api.ChecksResponse, error) {
		return cl.Checks(ctx, c.Args().Get(0), c.Args().Get(1))
	})
	if errors.Is(err, api.ErrUnknownName) {
		// MMM's own answer (unknown host or check): printed as it was.
		return printReply(c, api.CommandResponse{Command: "checks", Text: err.Error()}, err)
	}
	if err != nil {
		return err
	}
	if wantJSON(c) {
		err = printJSON(c, resp)
	} else {
		fmt.Fprintln(c.App.Writer, printable(resp.Text))
	}
	if err != nil {
		return err
	}
	return staleRead(c, "", resp.NoLeader)
}

// mmmHelp is MMM's help (Commands.pm), then ours in the same layout.
var mmmHelp = [][2]string{
	{"help", "show this message"},
	{"ping", "ping monitor"},
	{"show", "show status"},
	{"checks [<host>|all [<check>|all]]", "show checks status"},
	{"set_online <host>", "set host <host> online"},
	{"set_offline <host>", "set host <host> offline"},
	{"mode", "print current mode."},
	{"set_active", "switch into active mode."},
	{"set_manual", "switch into manual mode."},
	{"set_passive", "switch into passive mode."},
	{"move_role [--force] <role> <host>", "move exclusive role <role> to host <host>\n(Only use --force if you know what you are doing!)"},
	{"set_ip <ip> <host>", "set role with ip <ip> to host <host>"},
}

var moreHelp = [][2]string{
	{"set_online --force <host>", "set host <host> online without verified replication"},
	{"switchover [--to <host>] [--no-wait]", "move the writer role to its peer (or <host>), wait until done"},
	{"status", "show raft members, leader, replication and semisync"},
	{"history [--limit <n>]", "show transitions and actions with their outcome"},
	{"config check <file>", "validate a configuration, print it without secrets"},
	{"keepalived render --host <h>", "print keepalived.conf for host <h>"},
	{"doctor [--local] [--writer <h>]", "preflight: what a safe failover needs, with fixes"},
	{"completion bash", "print the bash completion script"},
}

func helpLines(b *strings.Builder, entries [][2]string) {
	for _, e := range entries {
		desc := strings.ReplaceAll(e[1], "\n", "\n"+strings.Repeat(" ", 40))
		fmt.Fprintf(b, "    %-34s- %s\n", e[0], desc)
	}
}

// HelpText is `mmmctl help`: MMM's list, byte for byte, then ours.
func HelpText() string {
	var b strings.Builder
	b.WriteString("Valid commands are:\n")
	helpLines(&b, mmmHelp)
	b.WriteString("\nmmmctl also has:\n")
	helpLines(&b, moreHelp)
	b.WriteString("\nFlags, examples and exit codes: mmmctl --help, mmmctl <command> --help\n")
	return b.String()
}

func helpAction(c *cli.Context) error {
	switch c.NArg() {
	case 0:
		fmt.Fprintln(c.App.Writer, HelpText())
		return nil
	case 1:
		if c.App.Command(c.Args().First()) == nil {
			return usagef("help: unknown command %q", c.Args().First())
		}
		// Like urfave/cli's own help command: look the name up from the
		// application's context.
		return cli.ShowCommandHelp(c.Lineage()[1], c.Args().First())
	}
	return usagef("help: want [command], got %d arguments", c.NArg())
}
