// Command mmm-chaos is the chaos campaign (make chaos): see usage below
// and package test/chaos, which holds the campaign's logic (the short
// campaign of test/integration/chaos runs the same code).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/chaos"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

const usage = `mmm-chaos: the chaos campaign of mmm-keepalived.

It brings up one lab (network namespaces, MariaDB, keepalived and the
coordinators from the directory of this binary, make build's bin/), starts
an application on app that inserts a sequence number through the writer
VIP every -interval (each insert may take up to -attempt, as a real
application waits), and injects -faults faults in a row, each drawn from
-seed:

  mysqld-kill, mysqld-stop     the mysqld of a host (60%% the writer) crashes or stops
  mysqld-freeze                SIGSTOP for 5-20 s, then SIGCONT
  host-kill                    the host dies (cable, then every process)
  net-down                     its eth0 goes down
  cut-off                      it loses every other host at L3, app still reaches it
  partition-all                db1, db2 and db3 lose each other: no majority anywhere
  repl-stop                    STOP SLAVE IO_THREAD or SQL_THREAD on a replica
  coordinator-kill             SIGKILL of a coordinator (often the raft leader's)
  keepalived-kill              SIGKILL of keepalived on a master
  writer+leader-kill           the writer's mysqld and the leader's coordinator at once

Each lasts 3-20 s, then it is reversed, and the campaign acts as an MMM
operator: set_online of every host in AWAITING_RECOVERY, until every
invariant holds again — every host ONLINE, one writer alone writable and
alone holding the writer VIP, every host replicating at the writer's GTID
position. The time that takes is the fault's convergence; past
-converge the fault is stuck (the leader's state and history are printed
and the logs kept under -evidence). All along, a sampler checks every
-sample that no two servers are writable and no two live hosts hold the
writer VIP. At the end every acknowledged row must be on every server,
and no server may hold a transaction the writer lacks (errant GTID).

One line per fault as it goes; a table and the totals at the end; the
results in -json. Ctrl-C stops after reversing the current fault, reports
what was done, and removes the lab.

Examples:
  make chaos                                 # 100 faults, a new seed
  make chaos CHAOS_ARGS='-faults 30 -seed 42'  # replays the same 30 faults
  make chaos CHAOS_ARGS='-skip cut-off'       # every kind but cut-off
  bin/mmm-chaos -faults 10 -max-hold 8s -json /tmp/chaos.json

Needs root. The lab's prefix (default mmmx) names its namespaces and
/run/mmm-lab/<prefix>; the campaign never touches another prefix.

Flags:
`

type options struct {
	chaos.Options
	prefix string
	json   string
	keep   bool
	v      bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "mmm-chaos:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "mmm-chaos:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func parse(args []string, stderr io.Writer) (options, error) {
	o := options{}
	var skip string
	fs := flag.NewFlagSet("mmm-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Faults, "faults", 100, "how many faults to inject, one after the other")
	fs.Int64Var(&o.Seed, "seed", 0, "the seed of the fault sequence (0: a new one from the clock, printed; give it again to replay)")
	fs.StringVar(&o.prefix, "prefix", "mmmx", "the lab's prefix (1-8 of a-z0-9); a lab of another prefix is never touched")
	fs.StringVar(&o.json, "json", "bench/chaos.json", "write the results here (\"\" = nowhere)")
	fs.DurationVar(&o.Plan.MaxHold, "max-hold", chaos.DefaultMaxHold, "cap of each fault's duration (drawn from 3 s, 5 s for a freeze, up to this)")
	fs.StringVar(&skip, "skip", "", "comma-separated fault kinds never drawn (to go on past a failure already found), e.g. cut-off")
	fs.IntVar(&o.Plan.WriterShare, "writer-share", 60, "percentage of single-host faults aimed at the writer")
	fs.DurationVar(&o.Interval, "interval", 10*time.Millisecond, "time between the application's inserts")
	fs.DurationVar(&o.Attempt, "attempt", 10*time.Second, "deadline of one insert, reconnect included")
	fs.DurationVar(&o.Sample, "sample", 100*time.Millisecond, "invariant sampling period (read_only of every server, writer VIP holders)")
	fs.DurationVar(&o.Converge, "converge", 60*time.Second, "a fault not converged this long after its reverse is stuck")
	fs.IntVar(&o.MaxStuck, "max-stuck", 3, "end the campaign after this many stuck faults in a row")
	fs.BoolVar(&o.RepairErrant, "repair-errant", true, "do the runbook's repair (rebuild from the writer, the application paused) of a host whose rejoin is refused for errant transactions, and count it (errant_repaired)")
	fs.BoolVar(&o.PauseAtFault, "pause-at-fault", true, "hold the application's next insert while a fault is injected (no transaction in flight on a crashing server: an unacknowledged one would come back as an errant GTID, which blocks its rejoin by design)")
	fs.StringVar(&o.EvidenceDir, "evidence", filepath.Join(os.TempDir(), "mmm-chaos-evidence"), "keep the logs and the leader's state of each stuck fault under this directory (\"\" = print only)")
	fs.BoolVar(&o.keep, "keep", false, "leave the lab up afterwards (mmm-lab --prefix PREFIX down removes it)")
	fs.BoolVar(&o.v, "v", false, "log the campaign's and the lab's steps")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q (flags only; -help explains them)", errUsage, fs.Arg(0))
	}
	var bad []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			bad = append(bad, fmt.Errorf(format, args...))
		}
	}
	check(o.Faults >= 1, "-faults %d: want at least 1", o.Faults)
	check(o.Plan.MaxHold >= time.Second, "-max-hold %v: want at least 1s", o.Plan.MaxHold)
	check(o.Plan.WriterShare >= 0 && o.Plan.WriterShare <= 100, "-writer-share %d: want 0-100", o.Plan.WriterShare)
	check(o.Interval >= time.Millisecond, "-interval %v: want at least 1ms", o.Interval)
	check(o.Attempt >= 100*time.Millisecond, "-attempt %v: want at least 100ms", o.Attempt)
	check(o.Sample >= 10*time.Millisecond && o.Sample <= 2*time.Second, "-sample %v: want 10ms-2s", o.Sample)
	check(o.Converge >= 5*time.Second, "-converge %v: want at least 5s", o.Converge)
	check(o.MaxStuck >= 1, "-max-stuck %d: want at least 1", o.MaxStuck)
	if skip != "" {
		var kinds []chaos.Kind
		for _, name := range strings.Split(skip, ",") {
			k, err := chaos.ParseKind(strings.TrimSpace(name))
			if err != nil {
				bad = append(bad, fmt.Errorf("-skip: %w", err))
				continue
			}
			kinds = append(kinds, k)
		}
		o.Plan.Weights = chaos.Without(chaos.DefaultWeights, kinds...)
		if len(kinds) == len(chaos.DefaultWeights) {
			bad = append(bad, errors.New("-skip: every fault kind left out"))
		}
	}
	if _, err := lab.New(lab.Options{Prefix: o.prefix}); err != nil {
		bad = append(bad, fmt.Errorf("-prefix: %w", err))
	}
	if err := errors.Join(bad...); err != nil {
		return o, fmt.Errorf("%w: %w", errUsage, err)
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano() % 1_000_000_000
	}
	// WriterShare 0 is the default in chaos.PlanOptions; none is
	// negative there.
	if o.Plan.WriterShare == 0 {
		o.Plan.WriterShare = -1
	}
	return o, nil
}

func run(ctx context.Context, args []string, out, errOut io.Writer) (err error) {
	o, err := parse(args, errOut)
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces)")
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if o.v {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: level}))
	_ = mysql.SetLogger(&mysql.NopLogger{}) // killed connections are the point
	l, err := lab.New(lab.Options{Prefix: o.prefix, BinDir: filepath.Dir(exe), Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "mmm-chaos: seed %d, %d faults, lab %s (binaries from %s)\n", o.Seed, o.Faults, o.prefix, filepath.Dir(exe))
	upCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	start := time.Now()
	// Down runs on every way out once Up has begun, also after a failed
	// Up or Ctrl-C (ctx is cancelled then, so it gets its own deadline).
	defer func() {
		if o.keep {
			fmt.Fprintf(out, "lab %s left up (--keep): mmm-lab --prefix %s down removes it\n", o.prefix, o.prefix)
			return
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if derr := l.Down(dctx); derr != nil {
			err = errors.Join(err, fmt.Errorf("lab down: %w", derr))
		}
	}()
	if err := l.Up(upCtx); err != nil {
		return fmt.Errorf("lab up: %w", err)
	}
	if m, err := l.Manifest(); err != nil || m.Components["coordinator"] != "up" || m.Components["keepalived"] != "up" {
		return fmt.Errorf("the lab runs without the coordinators or keepalived (%v, %v): make build first", m.Components, err)
	}
	fmt.Fprintf(out, "lab %s up in %v\n", o.prefix, time.Since(start).Round(time.Millisecond))
	o.Logger, o.Progress = log, out
	res, runErr := chaos.Run(ctx, l, o.Options)
	if res == nil {
		return runErr
	}
	fmt.Fprintln(out)
	res.WriteTable(out)
	if o.json != "" {
		if err := writeJSON(o.json, res); err != nil {
			runErr = errors.Join(runErr, err)
		} else {
			fmt.Fprintf(out, "results in %s\n", o.json)
		}
	}
	return runErr
}

func writeJSON(path string, res *chaos.Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := res.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
