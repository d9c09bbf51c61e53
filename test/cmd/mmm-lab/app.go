package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

func newApp() *cli.App {
	return &cli.App{
		Name:  "mmm-lab",
		Usage: "a local MariaDB master-master cluster in network namespaces, and faults to throw at it",
		Description: `The lab is the reference topology of docs/lab.md on this machine:

   host  address       what
   db1   198.18.0.11   MariaDB, master (active: writable), replicates from db2
   db2   198.18.0.12   MariaDB, master (passive: read_only), replicates from db1
   db3   198.18.0.13   MariaDB, replica of db1
   mon   198.18.0.20   witness / operator host
   app   198.18.0.30   clients
   VIPs: writer 198.18.0.100, readers 198.18.0.101-103

Each host is a network namespace "<prefix>-<host>" (default prefix "mmm");
a bridge in "<prefix>-br" joins them. Nothing touches the host's own network:
no default route, no link to the root namespace, addresses in 198.18.0.0/24
only. State (datadirs, sockets, pid files, the generated cluster config)
lives in /run/mmm-lab/<prefix>/.

Try:
   mmm-lab up                  # a few seconds; reuses a healthy lab
   mmm-lab status
   ip netns exec mmm-app mariadb -h 198.18.0.11 -u app -papp-lab app
   mmm-lab fault mysqld-kill db1 && mmm-lab status && mmm-lab fault mysqld-start db1
   mmm-lab down

Needs root.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "prefix", Value: lab.DefaultPrefix, EnvVars: []string{"MMM_LAB_PREFIX"},
				Usage: "namespace prefix: the demo uses mmm, the integration tests mmmt"},
			&cli.DurationFlag{Name: "timeout", Value: 3 * time.Minute, Usage: "give up after this long"},
			&cli.StringFlag{Name: "semisync", Value: string(lab.SemisyncBothMasters), EnvVars: []string{"MMM_LAB_SEMISYNC"},
				Usage: "semisync in the servers' my.cnf: both-masters (master and replica side on db1 and db2, as MMM users have it) or writer-only (master side on db1 only); the coordinators keep the master side on the writer only either way"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "log each step"},
		},
		Commands: []*cli.Command{
			{
				Name:  "up",
				Usage: "bring the lab up (or reuse it when it is up and healthy)",
				Description: `Creates the namespaces and the bridge, starts MariaDB on db1, db2 and db3,
creates the users, wires GTID replication (db1 <-> db2, db3 from db1) with
semisync as --semisync says, makes db1 writable and writes the cluster
configuration.
keepalived and the coordinators start too once the project has them.
A lab that is already up and healthy is reused; --recreate rebuilds it.
A failed bring-up is torn down again (unless --keep-on-failure).`,
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "recreate", Usage: "tear down and rebuild even a healthy lab"},
					&cli.BoolFlag{Name: "keep-on-failure", Usage: "leave a failed bring-up in place to inspect it"},
				},
				Action: cmdUp,
			},
			{
				Name:        "down",
				Usage:       "remove the lab: processes, namespaces, state directory",
				Description: "Works after a crash too: it finds the lab's processes by their network namespace.",
				Action:      cmdDown,
			},
			{
				Name:   "status",
				Usage:  "show each host's link, mysqld, replication and VIPs",
				Action: cmdStatus,
			},
			{
				Name:      "exec",
				Usage:     "run a command inside a lab host",
				ArgsUsage: "HOST COMMAND [ARG...]",
				// Everything after HOST belongs to the command.
				SkipFlagParsing: true,
				Action:          cmdExec,
			},
			faultCommand(),
		},
	}
}

// labFrom builds the lab from the global flags; the project's binaries
// are next to this one (make build puts them all in bin/).
func labFrom(c *cli.Context) (*lab.Lab, error) {
	level := slog.LevelWarn
	if c.Bool("verbose") {
		level = slog.LevelInfo
	}
	binDir := ""
	if exe, err := os.Executable(); err == nil {
		binDir = filepath.Dir(exe)
	}
	return lab.New(lab.Options{
		Prefix:        c.String("prefix"),
		BinDir:        binDir,
		Detach:        true, // the lab outlives this command
		KeepOnFailure: c.Bool("keep-on-failure"),
		Semisync:      lab.SemisyncLayout(c.String("semisync")),
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
}

// withLab runs f with the lab and a context bounded by --timeout.
func withLab(f func(ctx context.Context, c *cli.Context, l *lab.Lab) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		l, err := labFrom(c)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
		defer cancel()
		return f(ctx, c, l)
	}
}

var cmdUp = withLab(func(ctx context.Context, c *cli.Context, l *lab.Lab) error {
	start := time.Now()
	if err := l.Lock(ctx); err != nil {
		return err
	}
	defer l.Unlock()
	if !c.Bool("recreate") {
		if err := l.Healthy(ctx); err == nil {
			fmt.Printf("lab %s is up and healthy: reused (--recreate rebuilds it)\n\n", l.Prefix())
			return printUp(ctx, l, start)
		}
	}
	fmt.Printf("lab %s: bringing it up...\n", l.Prefix())
	if err := l.Up(ctx); err != nil {
		return err
	}
	return printUp(ctx, l, start)
})

func printUp(ctx context.Context, l *lab.Lab, start time.Time) error {
	st, err := l.Status(ctx)
	if err != nil {
		return err
	}
	db1, err := l.Server(lab.Writer)
	if err != nil {
		return err
	}
	fmt.Print(st)
	p, app := l.Prefix(), lab.AppUser
	fmt.Printf(`
Reach it (as root):
  ip netns exec %[1]s-app mariadb -h %[2]s -u %[3]s -p%[4]s %[5]s      # app -> db1 over the bridge
  ip netns exec %[1]s-db1 mariadb -S %[6]s    # root on db1's socket
  %[7]s status      # also: %[7]s fault --help, %[7]s exec HOST CMD...
Cluster configuration: %[8]s
Tear it down: make demo-down  (or %[7]s --prefix %[1]s down)
lab %[1]s ready in %.1[9]f s
`, p, lab.Hosts[0].Addr, app.Name, app.Password, lab.AppDatabase,
		db1.Socket, os.Args[0], l.ConfigPath(), time.Since(start).Seconds())
	return nil
}

var cmdDown = withLab(func(ctx context.Context, c *cli.Context, l *lab.Lab) error {
	start := time.Now()
	if err := l.Down(ctx); err != nil {
		return err
	}
	fmt.Printf("lab %s down in %.1f s\n", l.Prefix(), time.Since(start).Seconds())
	return nil
})

var cmdStatus = withLab(func(ctx context.Context, c *cli.Context, l *lab.Lab) error {
	st, err := l.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Print(st)
	return nil
})

var cmdExec = withLab(func(ctx context.Context, c *cli.Context, l *lab.Lab) error {
	if c.NArg() < 2 {
		return fmt.Errorf("usage: mmm-lab exec HOST COMMAND [ARG...]")
	}
	out, err := l.Exec(ctx, c.Args().First(), c.Args().Tail()...)
	os.Stdout.Write(out)
	return err
})
