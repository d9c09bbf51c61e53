// Command mmm-checkbench measures mmm-check beside the usual ways of
// asking "is MySQL up?": `mariadb-admin ping` and `mariadb -e 'select 1'`.
// It runs each N times, interleaved (a different order each round) so that
// they share the machine's noise, all over the same unix socket with the
// same account, and prints median and p99 wall time and peak RSS (wait4's
// ru_maxrss) per command, both taken by a tiny parent process
// (./mmm-checkbench-spawn, which says why). `make bench-check` runs it.
//
// By default it starts a throwaway MariaDB (test/mariadbd; needs root)
// with a monitor account and writes the cluster configuration mmm-check
// reads. With --config and --host it measures an existing server instead,
// e.g. the lab's: the socket and the account come from that host's
// section, as mmm-check takes them.
//
// It is a benchmark, not a test: it prints figures and the targets
// (mmm-check's median no slower than mariadb-admin ping's, peak RSS at
// most 12 MB) and fails only when a command fails.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mmm-checkbench:", err)
		stop()
		os.Exit(1)
	}
}

// variants is a repeatable --variant NAME=PATH flag: more mmm-check
// binaries to measure (another build of the same source).
type variants [][2]string

func (v *variants) String() string { return fmt.Sprint(*v) }

func (v *variants) Set(s string) error {
	name, path, ok := strings.Cut(s, "=")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want NAME=PATH, got %q", s)
	}
	*v = append(*v, [2]string{name, path})
	return nil
}

type options struct {
	n        int
	warmup   int
	bin      string
	variants variants
	config   string
	host     string
	spawner  string
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("mmm-checkbench", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", 200, "runs of each command")
	fs.IntVar(&o.warmup, "warmup", 10, "unmeasured runs of each command first")
	fs.StringVar(&o.bin, "bin", "bin/mmm-check", "the mmm-check binary")
	fs.Var(&o.variants, "variant", "another mmm-check binary to measure, NAME=PATH (repeatable)")
	fs.StringVar(&o.config, "config", "", "measure an existing server: the cluster configuration (default: a throwaway MariaDB)")
	fs.StringVar(&o.host, "host", "", "with --config: the host whose socket and account to use (default: its this)")
	fs.StringVar(&o.spawner, "spawner", "", "the measuring parent, mmm-checkbench-spawn (default: go build it now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.n < 1 {
		return fmt.Errorf("-n must be at least 1")
	}
	t, cleanup, err := target(ctx, o)
	if err != nil {
		return err
	}
	defer cleanup()
	cmds, err := commands(o, t)
	if err != nil {
		return err
	}
	fmt.Printf("server: %s (%s), socket %s, user %s\n", t.server, t.version, t.socket, t.user)
	fmt.Printf("runs: %d per command after %d warm-up runs, interleaved; wall time from fork to wait4 in a tiny parent process\n\n", o.n, o.warmup)
	tmp, err := os.MkdirTemp("", "mmm-checkbench-spawn-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	spawner, err := buildSpawner(ctx, o.spawner, tmp)
	if err != nil {
		return err
	}
	stats, err := measure(ctx, spawner, cmds, o.n, o.warmup)
	if err != nil {
		return err
	}
	report(os.Stdout, stats)
	return nil
}
