// Command mmm-failbench is the failover benchmark (make bench-failover):
// by default it compares our system with the classic keepalived + shell
// scripts setup over every scenario of test/failbench (see that package
// and failover.go). With --systems hand it runs the older bench below.
//
// --systems hand measures how long the writer is unavailable after
// the writer's mysqld is SIGKILLed or its host dies, in the lab, with
// keepalived, mmm-check and mmm-notify but WITHOUT coordinators: the
// coordinator's part — deciding and promoting — is played by the bench
// in the coordinator's order (lab.MoveWriter: close the old track file,
// open the candidate for writes, open its track file). It says so in its
// output: the figures are what keepalived and the hand-played promotion
// do, not what the coordinator will do.
//
// Per trial: a client on app keeps one pooled connection to the writer
// VIP; the fault hits the writer; from that moment the client tries an
// INSERT through the VIP every --interval (each attempt bounded by
// --attempt, connects by --connect-timeout). The bench decides:
//   - mysqld-kill: when the writer's keepalived has left MASTER (its
//     mmm-check failed: the VIP is gone from the writer's interface), the
//     signal the coordinator gets through the fifo and mmm-notify;
//   - host-kill: --decide after the fault (the dead host's keepalived
//     sends nothing and keeps the VIP on its unplugged interface; the
//     coordinator's detection is assumed, not measured).
//
// It reports, per scenario, min / median / max of: fault → decision,
// fault → VIP on the new writer, fault → first acknowledged INSERT, and
// decision → first INSERT. The client starts writing at the fault, so no
// transaction is in flight on the killed server: an unacknowledged one
// would come back with it as an errant GTID and break the restore. A
// sampler checks every 20 ms that no second server is writable while the
// VIP's holder is. Each fault comes after a random wait of up to
// --jitter, so that it meets mmm-check's 1 s interval at a random phase
// (trials at a regular pace hit the same phase every time). Between trials the dead side comes back read-only and
// replicating and the roles swap (the next trial kills the new writer).
//
// It brings up its own lab (prefix mmmb) with only mmm-check and
// mmm-notify from its own directory (make build's bin/), and takes it
// down at the end (unless --keep). Needs root. It is a benchmark, not a
// test: it fails only when a trial cannot run.
package main

import (
	"context"
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

	"github.com/mmm-keepalived/mmm-keepalived/test/failbench"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

type options struct {
	// systems: "hand" is this file's bench (promotion by hand, no
	// coordinators); anything else is the failover benchmark of
	// test/failbench (failover.go), comparing the named systems.
	systems   string
	jsonOut   string
	svgOut    string
	logDir    string
	render    string
	fbScen    []failbench.Scenario
	prefix    string
	trials    int
	semisync  string
	profile   string
	scenarios []string
	interval  time.Duration
	attempt   time.Duration
	connect   time.Duration
	decide    time.Duration
	jitter    time.Duration
	keep      bool
	verbose   bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mmm-failbench:", err)
		stop()
		os.Exit(1)
	}
}

func parse(args []string) (options, error) {
	var o options
	var scen string
	fs := flag.NewFlagSet("mmm-failbench", flag.ContinueOnError)
	fs.StringVar(&o.systems, "systems", "ours,classic", "comma-separated systems to compare: ours, classic; or hand (promotion by hand, no coordinators)")
	fs.StringVar(&o.jsonOut, "json", "", "write the results as JSON to this file (not with hand)")
	fs.StringVar(&o.svgOut, "svg", "", "draw the results as SVG to this file (not with hand)")
	fs.StringVar(&o.render, "render", "", "run nothing: print the table of this JSON results file (and write --svg, --json again)")
	fs.StringVar(&o.logDir, "logs", "", "keep each trial's daemon and MariaDB logs under this directory (not with hand)")
	fs.StringVar(&o.prefix, "prefix", "", "lab prefix (default mmmb for hand, mmmw otherwise)")
	fs.IntVar(&o.trials, "trials", 10, "trials per scenario (and system)")
	fs.StringVar(&o.semisync, "semisync", string(lab.SemisyncBothMasters), "semisync in the servers' my.cnf: both-masters (master and replica side on both masters, as the seed article has it) or writer-only")
	fs.StringVar(&o.profile, "profile", string(lab.ProfileFast), "the cluster's timing: fast (check_period 1 s, lease 1 s, as the lab has it) or defaults (the shipped ones: check_period 5 s, lease 2.5 s)")
	fs.StringVar(&scen, "scenarios", "", "comma-separated (default: all but cut-off-20s and mysqld-freeze-15s, which are for a patient client: -attempt 10s); hand: mysqld-kill, host-kill; otherwise: "+strings.Join(failbench.ScenarioNames(), ", "))
	fs.DurationVar(&o.interval, "interval", 10*time.Millisecond, "time between INSERT attempts")
	fs.DurationVar(&o.attempt, "attempt", 250*time.Millisecond, "deadline of one INSERT attempt")
	fs.DurationVar(&o.connect, "connect-timeout", 100*time.Millisecond, "the client's connect timeout")
	fs.DurationVar(&o.decide, "decide", 500*time.Millisecond, "host-kill: the assumed detection time of the coordinator")
	fs.DurationVar(&o.jitter, "jitter", time.Second, "a random wait up to this before each fault, so that faults hit mmm-check's interval (1 s) at random phases")
	fs.BoolVar(&o.keep, "keep", false, "leave the lab up afterwards")
	fs.BoolVar(&o.verbose, "v", false, "log the lab's steps")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.trials < 1 {
		return o, fmt.Errorf("--trials %d: want at least 1", o.trials)
	}
	if o.systems != "hand" {
		return parseFailover(o, scen)
	}
	if o.prefix == "" {
		o.prefix = "mmmb"
	}
	if scen == "" {
		scen = "mysqld-kill,host-kill"
	}
	for _, s := range strings.Split(scen, ",") {
		if s != "mysqld-kill" && s != "host-kill" {
			return o, fmt.Errorf("unknown scenario %q (mysqld-kill, host-kill)", s)
		}
		o.scenarios = append(o.scenarios, s)
	}
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) (err error) {
	o, err := parse(args)
	if err != nil {
		return err
	}
	if o.systems != "hand" {
		return runFailover(ctx, o, out)
	}
	bin, cleanup, err := scriptDir()
	if err != nil {
		return err
	}
	defer cleanup()
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	l, err := lab.New(lab.Options{Prefix: o.prefix, BinDir: bin,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))})
	if err != nil {
		return err
	}
	_ = mysql.SetLogger(&mysql.NopLogger{}) // killed connections are the point
	upCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	start := time.Now()
	if err := l.Up(upCtx); err != nil {
		return err
	}
	if !o.keep {
		defer func() {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			if derr := l.Down(dctx); derr != nil && err == nil {
				err = derr
			}
		}()
	}
	if m, err := l.Manifest(); err != nil || m.Components["keepalived"] != "up" || m.Components["coordinator"] == "up" {
		return fmt.Errorf("lab: want keepalived up and no coordinator, got %v (%v)", m.Components, err)
	}
	fmt.Fprintf(out, "lab %s up in %v: keepalived on db1 and db2, no coordinator (the bench promotes by hand)\n",
		o.prefix, time.Since(start).Round(time.Millisecond))
	if err := createTable(ctx, l); err != nil {
		return err
	}
	b := &bench{l: l, o: o, out: out, writer: lab.Writer, standby: "db2"}
	var all []summary
	for _, s := range o.scenarios {
		sum, err := b.scenario(ctx, s)
		if err != nil {
			return err
		}
		all = append(all, sum)
	}
	fmt.Fprintln(out)
	printTable(out, o, all)
	return nil
}

// scriptDir returns a directory holding only mmm-check and mmm-notify
// (copied from this binary's directory), so that the lab starts no
// coordinator. keepalived runs scripts only from paths no one but root
// can write: the directory is 0700.
func scriptDir() (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "mmm-failbench")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	for _, name := range []string{"mmm-check", "mmm-notify"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(exe), name))
		if err != nil {
			cleanup()
			return "", nil, fmt.Errorf("%w (make build puts it beside mmm-failbench)", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	return dir, cleanup, nil
}

// createTable creates the table the client writes to. Its key is random,
// so that rows written on different writers never collide.
func createTable(ctx context.Context, l *lab.Lab) error {
	s, err := l.Server(lab.Writer)
	if err != nil {
		return err
	}
	return s.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+lab.AppDatabase+".bench ("+
		"id BIGINT UNSIGNED NOT NULL PRIMARY KEY, server INT NOT NULL, "+
		"at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))")
}
