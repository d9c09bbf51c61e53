package main

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// faultCommand holds the fault primitives of test/lab, each with its
// reverse; their doc comments there say exactly what happens.
func faultCommand() *cli.Command {
	return &cli.Command{
		Name:  "fault",
		Usage: "break something on purpose, and mend it",
		Description: `Each fault has a reverse; run "mmm-lab status" in between to see the effect.
mysqld faults act on the server's pid file; host-kill finds every process
of the host by its network namespace. Examples:

   mmm-lab fault mysqld-kill db1        # SIGKILL; mysqld-start db1 brings it back
   mmm-lab fault net-down db1 20s       # like "ifdown eth0", up after 20 s
   mmm-lab fault partition db1 db2      # they lose each other, both still see db3
   mmm-lab fault cut-off db1            # db1 alone, app still reaches it; reconnect db1
   mmm-lab fault repl-stop db3 io       # then: mmm-lab fault repl-start db3 io
   mmm-lab fault repl-delay db3 90s

A server that comes back starts read_only=1, like every lab server; until
the coordinators run, reopen the writer by hand:
   ip netns exec mmm-db1 mariadb -S /run/mmm-lab/mmm/db1/mysql/mysqld.sock -e 'SET GLOBAL read_only=0'`,
		Subcommands: []*cli.Command{
			hostFault("mysqld-stop", "stop mysqld cleanly (SIGTERM) and wait for it to exit", func(l *lab.Lab, ctx context.Context, h string) error {
				_, err := l.StopMySQL(ctx, h)
				return err
			}),
			hostFault("mysqld-kill", "kill mysqld (SIGKILL), as a crash does", func(l *lab.Lab, ctx context.Context, h string) error {
				_, err := l.KillMySQL(ctx, h)
				return err
			}),
			hostFault("mysqld-start", "start a stopped or killed mysqld again", (*lab.Lab).StartMySQL),
			hostFault("mysqld-freeze", "freeze mysqld (SIGSTOP): connections hang instead of failing", func(l *lab.Lab, ctx context.Context, h string) error {
				_, err := l.FreezeMySQL(ctx, h)
				return err
			}),
			hostFault("mysqld-thaw", "resume a frozen mysqld (SIGCONT)", (*lab.Lab).ThawMySQL),
			hostFault("host-kill", "host death: unplug its bridge port, then SIGKILL every process in it", func(l *lab.Lab, ctx context.Context, h string) error {
				_, err := l.KillHost(ctx, h)
				return err
			}),
			hostFault("host-revive", "plug a dead host in again and start its mysqld and daemons", (*lab.Lab).ReviveHost),
			{
				Name:      "net-down",
				Usage:     "take the host's eth0 down (ifdown); with DURATION, up again after that long",
				ArgsUsage: "HOST [DURATION]",
				Action: faultAction(1, 2, func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error {
					d, err := optionalDuration(args, 1, 0)
					if err != nil {
						return err
					}
					if _, err := l.NetworkDown(ctx, args[0], 0); err != nil {
						return err
					}
					if d <= 0 {
						return nil
					}
					fmt.Printf("%s: network down for %v\n", args[0], d)
					select {
					case <-time.After(d):
					case <-c.Context.Done(): // interrupted: bring it up anyway
					}
					return l.NetworkUp(context.WithoutCancel(ctx), args[0])
				}),
			},
			hostFault("net-up", "bring the host's eth0 up again", (*lab.Lab).NetworkUp),
			{
				Name:      "partition",
				Usage:     "cut two hosts from each other (bridge port isolation); both still reach the rest",
				ArgsUsage: "HOST HOST",
				Action: faultAction(2, 2, func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error {
					_, err := l.Partition(ctx, args[0], args[1])
					return err
				}),
			},
			hostFault("cut-off", "cut the host off at L3 from every host but app (blackhole routes): app still writes to it", func(l *lab.Lab, ctx context.Context, h string) error {
				_, err := l.CutOff(ctx, h)
				return err
			}),
			hostFault("reconnect", "end a cut-off", (*lab.Lab).Reconnect),
			{
				Name:  "heal",
				Usage: "end the partition",
				Action: faultAction(0, 0, func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error {
					return l.Heal(ctx)
				}),
			},
			threadFault("repl-stop", "stop a replication thread (STOP SLAVE [IO_THREAD|SQL_THREAD])", func(l *lab.Lab, ctx context.Context, h string, t lab.Thread) error {
				_, err := l.StopReplication(ctx, h, t)
				return err
			}),
			threadFault("repl-start", "start a replication thread again", (*lab.Lab).StartReplication),
			{
				Name:      "repl-delay",
				Usage:     "apply events only DURATION (default 60s) after the master wrote them (MASTER_DELAY)",
				ArgsUsage: "HOST [DURATION]",
				Description: `From the master's next write, Seconds_Behind_Master climbs second by second
up to DURATION (an idle master leaves it at 0); MMM's rep_backlog check
compares it with max_backlog.`,
				Action: faultAction(1, 2, func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error {
					d, err := optionalDuration(args, 1, 60*time.Second)
					if err != nil {
						return err
					}
					_, err = l.DelayReplication(ctx, args[0], d)
					return err
				}),
			},
			hostFault("repl-undelay", "remove the delay (MASTER_DELAY=0): the backlog is applied at once", (*lab.Lab).UndelayReplication),
			{
				Name:      "daemon-kill",
				Usage:     "SIGKILL every process of a daemon the lab started (keepalived, coordinator)",
				ArgsUsage: "HOST NAME",
				Action: faultAction(2, 2, func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error {
					_, err := l.KillDaemon(ctx, args[0], args[1])
					return err
				}),
			},
			{
				Name:      "daemon-start",
				Usage:     "start a killed daemon again",
				ArgsUsage: "HOST NAME",
				Action: faultAction(2, 2, func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error {
					return l.RestartDaemon(ctx, args[0], args[1])
				}),
			},
		},
	}
}

// faultAction checks the argument count, runs f and reports success.
func faultAction(minArgs, maxArgs int, f func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error) cli.ActionFunc {
	return withLab(func(ctx context.Context, c *cli.Context, l *lab.Lab) error {
		if c.NArg() < minArgs || c.NArg() > maxArgs {
			return fmt.Errorf("%s: want %s, got %d argument(s) (see --help)", c.Command.Name, c.Command.ArgsUsage, c.NArg())
		}
		if err := f(ctx, c, l, c.Args().Slice()); err != nil {
			return err
		}
		fmt.Printf("%s %v: done\n", c.Command.Name, c.Args().Slice())
		return nil
	})
}

func hostFault(name, usage string, f func(l *lab.Lab, ctx context.Context, host string) error) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, ArgsUsage: "HOST",
		Action: faultAction(1, 1, func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error {
			return f(l, ctx, args[0])
		}),
	}
}

// threadFault takes HOST and an optional thread: io, sql or both (default).
func threadFault(name, usage string, f func(l *lab.Lab, ctx context.Context, host string, t lab.Thread) error) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage + "; THREAD is io, sql or both (default)", ArgsUsage: "HOST [THREAD]",
		Action: faultAction(1, 2, func(ctx context.Context, c *cli.Context, l *lab.Lab, args []string) error {
			t := lab.ThreadBoth
			if len(args) == 2 {
				var err error
				if t, err = lab.ParseThread(args[1]); err != nil {
					return err
				}
			}
			return f(l, ctx, args[0], t)
		}),
	}
}

// optionalDuration parses args[i] when present, else returns def.
func optionalDuration(args []string, i int, def time.Duration) (time.Duration, error) {
	if len(args) <= i {
		return def, nil
	}
	d, err := time.ParseDuration(args[i])
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as 20s: %w", args[i], err)
	}
	return d, nil
}
