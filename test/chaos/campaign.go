package chaos

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// Options configure Run; zero fields take the defaults.
type Options struct {
	Seed   int64
	Faults int // default 100
	Plan   PlanOptions
	// Interval between the application's inserts (default 10 ms); Attempt
	// bounds one insert, reconnect included (default 10 s: applications
	// wait seconds, not milliseconds, so a failover is a delay to them,
	// not an error).
	Interval, Attempt time.Duration
	Sample            time.Duration // invariant sampling period (default 100 ms)
	Converge          time.Duration // after a reverse, stuck past this (default 60 s)
	// MaxStuck ends the campaign after this many stuck faults in a row
	// (default 3): a cluster that does not recover makes later faults
	// meaningless.
	MaxStuck int
	// PauseAtFault holds the application's next insert while a fault is
	// injected, so that no transaction is in flight on a server that
	// crashes: one it wrote to its binary log but no replica received
	// comes back with it as an errant transaction, which blocks its
	// rejoin by design (never acknowledged, so not a lost row).
	PauseAtFault bool
	// RepairErrant does the runbook's repair (lab.RebuildFrom, with the
	// application paused) of a host whose rejoin was refused for errant
	// transactions, as docs/operations.md tells an operator to; each
	// repair is counted in Result.ErrantRepaired.
	RepairErrant bool
	Table        string // default "chaos", in lab.AppDatabase
	// EvidenceDir receives, per stuck fault, the daemons' logs, the
	// leader's state and history, and the lab's status ("" = none kept).
	EvidenceDir string
	Logger      *slog.Logger
	Progress    io.Writer // one line per fault
}

func (o *Options) defaults() {
	if o.Faults == 0 {
		o.Faults = 100
	}
	o.Interval = cmpOr(o.Interval, 10*time.Millisecond)
	o.Attempt = cmpOr(o.Attempt, 10*time.Second)
	o.Sample = cmpOr(o.Sample, 100*time.Millisecond)
	o.Converge = cmpOr(o.Converge, 60*time.Second)
	if o.MaxStuck == 0 {
		o.MaxStuck = 3
	}
	if o.Table == "" {
		o.Table = "chaos"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// campaign is one run's state.
type campaign struct {
	l       *lab.Lab
	o       Options
	log     *slog.Logger
	pools   map[string]*sql.DB
	app     *lab.AppWriter
	sampler *sampler
	checked int // acknowledgements already looked up on every host
	res     *Result
	fault   Fault           // the fault being converged, for the record
	rebuilt map[string]bool // refusals already repaired (host and reason)
}

func (c *campaign) addStale(f Fault, what string) {
	entry := fmt.Sprintf("fault %d (%s): %s", f.Index, f.Kind, what)
	c.res.StaleDetail = append(c.res.StaleDetail, entry)
	c.log.Warn("stale ONLINE host", "entry", entry)
}

// Run runs a campaign on l, a lab that is up with the coordinators and
// keepalived. It returns the result also when it ends early (an error,
// ctx cancelled): the caller still reports what was done.
func Run(ctx context.Context, l *lab.Lab, o Options) (*Result, error) {
	o.defaults()
	plan, err := NewPlan(o.Seed, o.Faults, o.Plan)
	if err != nil {
		return nil, err
	}
	res := &Result{Seed: o.Seed, Started: time.Now().UTC(), Faults: []FaultResult{}}
	pools, err := openPools(l, 2)
	if err != nil {
		return res, err
	}
	defer closePools(pools)
	c := &campaign{l: l, o: o, log: o.Logger, pools: pools, res: res, rebuilt: map[string]bool{}}
	start := time.Now()
	defer func() { res.DurationS = seconds(time.Since(start)); res.Summarize() }()

	// The lab starts db2 and db3 in AWAITING_RECOVERY: the operator's
	// first set_online, and the baseline every fault is measured from.
	if _, why, ok := c.converge(ctx, Fault{Kind: KindUnknown}, time.Now()); !ok {
		return res, fmt.Errorf("chaos: the cluster is not steady before the first fault: %s (after %v)\n%s", why, o.Converge, c.show(ctx))
	}
	c.res.StaleDetail = nil // catching up at bring-up is no finding
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c.app, err = l.StartAppWriter(actx, lab.AppWriterOptions{Table: o.Table, Interval: o.Interval, Attempt: o.Attempt,
		MaxInserts: 1 << 40, MaxTime: 1000 * time.Hour})
	cancel()
	if err != nil {
		return res, fmt.Errorf("chaos: %w", err)
	}
	c.sampler = startSampler(l, pools, o.Sample, o.Logger)
	defer func() {
		if c.sampler != nil {
			c.finishSampling()
		}
	}()
	fmt.Fprintf(o.Progress, "seed %d: %d faults (replay: -seed %d)\n", o.Seed, len(plan), o.Seed)
	runErr := c.runPlan(ctx, plan)
	if runErr != nil {
		res.Ended = runErr.Error()
	}
	rep := c.app.Stop()
	res.Acked = len(rep.Acks)
	c.finishSampling()
	c.sampler = nil
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	defer cancel()
	if err := c.finalChecks(fctx, rep); err != nil {
		runErr = errors.Join(runErr, err)
	}
	return res, runErr
}

func (c *campaign) finishSampling() {
	t := c.sampler.stop()
	c.res.Samples, c.res.OneWritable = t.Samples, t.OneWritable
	c.res.TwoWritableMs = t.TwoWritable.Milliseconds()
	c.res.TwoVIPMs = t.TwoVIP.Milliseconds()
	c.res.BrokenSamples = t.Examples
}

// runPlan runs the faults in order; it stops on ctx or when MaxStuck
// faults in a row did not converge.
func (c *campaign) runPlan(ctx context.Context, plan []Fault) error {
	stuckInRow := 0
	for _, f := range plan {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("chaos: interrupted before fault %d: %w", f.Index, err)
		}
		fr := c.runFault(ctx, f)
		c.res.Faults = append(c.res.Faults, fr)
		fmt.Fprintln(c.o.Progress, fr.ProgressLine(len(plan)))
		if fr.Stuck {
			stuckInRow++
			if stuckInRow >= c.o.MaxStuck {
				return fmt.Errorf("%w (%d, the last fault %d)", errStuck, stuckInRow, f.Index)
			}
		} else if fr.Error == "" {
			stuckInRow = 0
		}
	}
	return nil
}

// runFault injects f, holds it, reverses it and waits for convergence.
func (c *campaign) runFault(ctx context.Context, f Fault) FaultResult {
	fr := FaultResult{Index: f.Index, Type: f.Kind.String()}
	before := c.sampler.totals()
	r := c.currentRoles()
	resume := func() {}
	if c.o.PauseAtFault {
		resume = c.app.Pause()
	}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	target, undo, err := c.inject(ictx, f, r)
	cancel()
	resume()
	injected := time.Now()
	fr.Target = target
	if err != nil {
		fr.Error = err.Error()
		c.log.Warn("fault not injected", "fault", f.String(), "err", err)
		return fr
	}
	c.log.Info("fault injected", "fault", f.String(), "target", target)
	select {
	case <-ctx.Done():
	case <-time.After(f.Hold):
	}
	// The reverse runs even when the campaign was interrupted: the lab
	// is taken down anyway, but a report must not leave a fault behind.
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	err = undo(uctx)
	cancel()
	reversed := time.Now()
	fr.HeldS = seconds(reversed.Sub(injected))
	if err != nil {
		c.log.Warn("reverse failed", "fault", f.String(), "err", err)
		fr.Reason = "reverse failed: " + err.Error()
	}
	if ctx.Err() != nil {
		fr.Reason = "interrupted"
		return fr
	}
	took, reason, ok := c.converge(ctx, f, reversed)
	after := c.sampler.totals()
	fr.TwoWritableMs = (after.TwoWritable - before.TwoWritable).Milliseconds()
	if ctx.Err() != nil {
		// Cut short (Ctrl-C): neither converged nor stuck.
		fr.Reason = "interrupted"
		return fr
	}
	if !ok {
		fr.Stuck = true
		if fr.Reason == "" {
			fr.Reason = reason
		} else {
			fr.Reason += "; " + reason
		}
		fr.Evidence = c.evidence(ctx, f, fr)
		return fr
	}
	v := seconds(took)
	fr.ConvergedS = &v
	c.checkRows(ctx, f, c.currentRoles().writer)
	return fr
}

// finalChecks looks up every acknowledged row on every server and compares
// every server's binlog state with the writer's.
func (c *campaign) finalChecks(ctx context.Context, rep lab.AppWriterReport) error {
	writer := c.currentRoles().writer
	ids := rep.IDs()
	pos, err := queryString(ctx, c.pools[writer], "SELECT @@gtid_binlog_pos")
	if err != nil {
		return fmt.Errorf("chaos: final check: %s's position: %w", writer, err)
	}
	missing := map[int64]bool{}
	c.res.LostByHost = map[string]int{}
	var errs []error
	wstate, err := queryString(ctx, c.pools[writer], "SELECT @@gtid_binlog_state")
	if err != nil {
		errs = append(errs, fmt.Errorf("chaos: final check: %s's binlog state: %w", writer, err))
	}
	for _, d := range lab.DBHosts() {
		db := c.pools[d.Name]
		if d.Name != writer {
			// Late is not lost: give it time to apply what it received.
			if ok, err := waitGTID(ctx, db, pos, 30); err != nil || !ok {
				c.log.Warn("final check: not at the writer's position", "host", d.Name, "pos", pos, "err", err)
			}
		}
		lost, err := missingRows(ctx, db, c.o.Table, ids)
		if err != nil {
			errs = append(errs, fmt.Errorf("chaos: final check on %s: %w", d.Name, err))
			continue
		}
		c.res.LostByHost[d.Name] = len(lost)
		for _, id := range lost {
			missing[id] = true
		}
		if d.Name == writer || wstate == "" {
			continue
		}
		hstate, err := queryString(ctx, db, "SELECT @@gtid_binlog_state")
		if err != nil {
			errs = append(errs, fmt.Errorf("chaos: final check: %s's binlog state: %w", d.Name, err))
			continue
		}
		e, err := errantGTIDs(d.Name, hstate, wstate)
		if err != nil {
			errs = append(errs, err)
		}
		c.res.ErrantGTIDs = append(c.res.ErrantGTIDs, e...)
	}
	c.res.LostAcked = len(missing)
	c.res.Semisync = c.semisyncKept(ctx, writer)
	return errors.Join(errs...)
}

// semisyncKept polls the servers' semisync for a minute (the leader
// reads it every 10 s) until it is the layout the coordinator keeps
// with writer as the writer; "kept", or the last difference.
func (c *campaign) semisyncKept(ctx context.Context, writer string) string {
	var last error
	deadline := time.Now().Add(time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = c.l.CheckSemisync(cctx, writer)
		cancel()
		if last == nil {
			return "kept"
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return strings.ReplaceAll(last.Error(), "\n", "; ")
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
