package failbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// table is where the app writer inserts, in lab.AppDatabase.
const table = "bench_acked"

// Trial is one run of one scenario on one system.
type Trial struct {
	System   string
	Scenario string
	N        int
	Fault    time.Time
	// Unavailable is the longest time between two acknowledged inserts
	// from the last one before the fault to the end of the observation.
	Unavailable time.Duration
	// Lost is the most acknowledged rows missing on one server (the
	// final writer or another running one); LostOn has them per host.
	Lost   int
	LostOn map[string]int
	// Behind lists servers that had not applied the final writer's
	// position within the catch-up bound (their missing rows count).
	Behind []string `json:",omitempty"`
	// TwoWritable is the time db1 and db2 both had read_only=0.
	TwoWritable time.Duration
	// ReaderGap is the longest time a reader VIP the victim held did
	// not answer from app; nil when it held none (classic: no reader VIPs).
	ReaderGap *time.Duration `json:",omitempty"`
	ReaderVIP []string       `json:",omitempty"`
	// FinalWriter holds the writer VIP at the end ("" when not one host).
	FinalWriter     string
	Converged       bool // the writer VIP reached the expected host in time
	Acked, Errors   int
	Samples, Silent int
	Observed        time.Duration // fault → end of observation
	Notes           []string      `json:",omitempty"`
	Error           string        `json:",omitempty"`
	// Stages is where the unavailable window went (see Stage), from the
	// fault; none for ReplStop, which moves no writer.
	Stages []Stage `json:",omitempty"`
	// Semisync is "kept" when, after the heal, the master side was on
	// and active on the final writer only and the replica side on
	// everywhere else (within a minute), or what differed; "" for a
	// system that does not manage semisync.
	Semisync string `json:",omitempty"`
}

func (t Trial) String() string {
	rg := "-"
	if t.ReaderGap != nil {
		rg = ms(*t.ReaderGap)
	}
	conv := ""
	if !t.Converged {
		conv = "  NOT CONVERGED"
	}
	behind := ""
	if len(t.Behind) > 0 {
		behind = " (behind: " + strings.Join(t.Behind, " ") + ")"
	}
	notes := ""
	if t.Semisync != "" && t.Semisync != "kept" {
		notes = "  SEMISYNC: " + t.Semisync
	}
	if len(t.Notes) > 0 {
		notes += "  (" + strings.Join(t.Notes, "; ") + ")"
	}
	return fmt.Sprintf("unavailable %7s  lost %4d%s  two writable %7s  reader gap %7s  writer %s  acked %d errors %d%s%s",
		ms(t.Unavailable), t.Lost, behind, ms(t.TwoWritable), rg, t.FinalWriter, t.Acked, t.Errors, conv, notes)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

// runTrial builds a fresh lab for s, brings it to the steady state, runs
// the scenario with the app writer, the masters sampler and the reader
// probes on, heals the fault, counts the lost rows and tears the lab
// down (also on failure and cancellation).
func runTrial(ctx context.Context, o Options, s system, sc Scenario, n int) (t Trial, err error) {
	t = Trial{System: s.name(), Scenario: sc.String(), N: n, LostOn: map[string]int{}}
	l, err := lab.New(lab.Options{Prefix: o.Prefix, BinDir: s.binDir(), Logger: o.Logger, Semisync: o.Semisync, Profile: o.Profile})
	if err != nil {
		return t, err
	}
	uctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := l.Up(uctx); err != nil {
		return t, err
	}
	defer func() {
		if o.LogDir != "" {
			keepLogs(l, filepath.Join(o.LogDir, fmt.Sprintf("%s-%s-%d", t.System, t.Scenario, t.N)))
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		err = errors.Join(err, l.Down(dctx))
	}()
	if err := s.ready(ctx, l); err != nil {
		return t, err
	}
	victim := sc.victim()
	var probes []*readerProbe
	for _, ip := range lab.ReaderVIPs {
		if hs, _ := l.VIPHolders(ip); slices.Contains(hs, victim) {
			probes = append(probes, probeReader(l, ip, 10*time.Millisecond, 100*time.Millisecond))
			t.ReaderVIP = append(t.ReaderVIP, ip.String())
		}
	}
	stopProbes := func(from time.Time) {
		for _, p := range probes {
			g := p.stop(from)
			if t.ReaderGap == nil || g > *t.ReaderGap {
				t.ReaderGap = &g
			}
		}
		probes = nil
	}
	defer stopProbes(time.Now())

	app, err := l.StartAppWriter(ctx, lab.AppWriterOptions{Table: table, Interval: o.Interval, Attempt: o.Attempt, MaxTime: 3 * time.Minute})
	if err != nil {
		return t, err
	}
	defer app.Stop()
	warm := time.Now()
	if err := waitUntil(ctxLimit(ctx, 10*time.Second), func() bool { return app.AckedSince(warm) >= 20 }); err != nil {
		r := app.Snapshot()
		return t, fmt.Errorf("failbench: the app writer does not write through the VIP (%d errors, last %v): %w", r.Errors, r.LastError, err)
	}
	sampler := sampleMasters(l, 15*time.Millisecond)
	samplerStopped := false
	defer func() {
		if !samplerStopped {
			sampler.stop()
		}
	}()

	if n := s.note(ctx, l); n != "" {
		t.Notes = append(t.Notes, n)
	}
	undo, err := inject(ctx, l, s, sc, app, &t.Fault)
	if err != nil {
		return t, fmt.Errorf("failbench: %s: %w", sc, err)
	}
	defer func() { _ = undo(context.WithoutCancel(ctx)) }()
	var vipAt time.Time
	t.Converged, vipAt = observe(ctx, l, sc, app, t.Fault)
	end := time.Now()
	t.Observed = end.Sub(t.Fault)
	stopProbes(t.Fault)
	t.TwoWritable, t.Samples, t.Silent = sampler.stop()
	samplerStopped = true
	rep := app.Stop()
	t.Acked, t.Errors = len(rep.Acks), rep.Errors
	var ats []time.Time
	for _, a := range rep.Acks {
		ats = append(ats, a.At)
	}
	t.Unavailable = longestGap(ats, t.Fault, end)
	if hs := writerHolders(l, sc); len(hs) == 1 {
		t.FinalWriter = hs[0]
	}
	if sc != ReplStop {
		t.Stages = timeline(ctx, l, s, victim, t.Fault, vipAt, rep.Acks)
	}
	if ctx.Err() != nil {
		return t, ctx.Err()
	}
	if err := undo(ctx); err != nil {
		return t, fmt.Errorf("failbench: heal %s: %w", sc, err)
	}
	if n := s.heal(ctx, l, victim); n != "" {
		t.Notes = append(t.Notes, n)
	}
	if err := countLost(ctx, l, &t, rep.IDs()); err != nil {
		return t, err
	}
	if s.keepsSemisync() && t.FinalWriter != "" {
		t.Semisync = semisyncKept(ctx, l, t.FinalWriter)
	}
	return t, nil
}

// semisyncKept polls the servers' semisync for a minute (the leader
// reads it every 10 s) until it is the layout the coordinator keeps
// with writer as the writer; "kept", or the last difference.
func semisyncKept(ctx context.Context, l *lab.Lab, writer string) string {
	var last error
	err := waitUntil(ctxLimit(ctx, time.Minute), func() bool {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		last = l.CheckSemisync(cctx, writer)
		return last == nil
	})
	if err == nil {
		return "kept"
	}
	return strings.ReplaceAll(fmt.Sprint(last), "\n", "; ")
}

func ctxLimit(ctx context.Context, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(ctx, d)
	_ = cancel // released at d; the trial is shorter-lived than the bench
	return c
}

// inject hits the victim. The instantaneous faults happen while the app
// writer is paused, so that no transaction is in flight on the server
// hit (one that only it had written would come back as an errant
// transaction: never acknowledged, so never a lost row). It returns the
// fault's reverse.
func inject(ctx context.Context, l *lab.Lab, s system, sc Scenario, app *lab.AppWriter, at *time.Time) (lab.Undo, error) {
	nothing := func(context.Context) error { return nil }
	if sc == Switchover {
		*at = time.Now()
		return nothing, s.switchover(ctx, l)
	}
	v := sc.victim()
	if sc == CutOff || sc == Freeze {
		// The point is a client waiting on the old writer: no pause.
		*at = time.Now()
		var undo lab.Undo
		var err error
		if sc == CutOff {
			undo, err = l.CutOff(ctx, v)
		} else {
			undo, err = l.FreezeMySQL(ctx, v)
		}
		if err != nil {
			return nothing, err
		}
		return healAfter(sc, undo), nil
	}
	resume := app.Pause()
	defer resume()
	*at = time.Now()
	switch sc {
	case MySQLKill:
		return l.KillMySQL(ctx, v)
	case MySQLStop:
		// StopMySQL waits for the exit: the app resumes meanwhile.
		resume()
		return l.StopMySQL(ctx, v)
	case HostKill:
		return l.KillHost(ctx, v)
	case NetDown:
		return l.NetworkDown(ctx, v, sc.hold())
	case ReplStop:
		return l.StopReplication(ctx, v, lab.ThreadIO)
	}
	return nothing, fmt.Errorf("%w %v", ErrUnknownScenario, sc)
}

// healAfter runs undo once sc's hold has passed, or when the trial
// calls the returned reverse first; either way once, and the trial's
// call returns what the heal returned.
func healAfter(sc Scenario, undo lab.Undo) lab.Undo {
	var once sync.Once
	var err error
	heal := func(ctx context.Context) error {
		once.Do(func() { err = undo(ctx) })
		return err
	}
	t := time.AfterFunc(sc.hold(), func() { _ = heal(context.Background()) })
	return func(ctx context.Context) error { t.Stop(); return heal(ctx) }
}

// observe waits until the writer VIP is on db2 alone and the app wrote
// 50 rows after the fault (at most 60 s), then holds on to see what
// happens next: until the fault healed by itself plus 6 s (NetDown,
// CutOff, Freeze), 10 s after the fault for ReplStop (the reader roles'
// reaction), 3 s otherwise. It reports whether the VIP reached db2 in
// time (ReplStop: stayed on db1), and when it was first seen there alone.
func observe(ctx context.Context, l *lab.Lab, sc Scenario, app *lab.AppWriter, fault time.Time) (bool, time.Time) {
	want := "db2"
	hold := 3 * time.Second
	switch sc {
	case ReplStop:
		want, hold = "db1", 10*time.Second
	case NetDown, CutOff, Freeze:
		hold = sc.hold() + 6*time.Second
	}
	var vipAt time.Time
	converged := waitUntil(ctxLimit(ctx, 60*time.Second), func() bool {
		there := slices.Equal(writerHolders(l, sc), []string{want})
		if there && vipAt.IsZero() {
			vipAt = time.Now()
		}
		return there && app.AckedSince(fault) >= 50
	}) == nil
	until := fault.Add(hold)
	if sc.hold() == 0 && sc != ReplStop {
		until = time.Now().Add(hold)
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(until)):
	}
	return converged, vipAt
}

// writerHolders returns the live hosts holding the writer VIP: a dead
// host keeps it on its unplugged interface (as after a real crash) but
// answers nobody.
func writerHolders(l *lab.Lab, sc Scenario) []string {
	hs, _ := l.VIPHolders(lab.WriterVIP)
	if sc == HostKill {
		hs = slices.DeleteFunc(hs, func(h string) bool { return h == sc.victim() })
	}
	return hs
}

// countLost counts, on the final writer and on every other running db
// host (after it had up to 15 s to apply the writer's position), the
// acknowledged ids it lacks.
func countLost(ctx context.Context, l *lab.Lab, t *Trial, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	writer := t.FinalWriter
	if writer == "" {
		return fmt.Errorf("failbench: no single writer VIP holder to check the rows against")
	}
	ws, err := l.Server(writer)
	if err != nil {
		return err
	}
	var pos string
	if err := queryRow(ctx, ws, "SELECT @@gtid_binlog_pos", &pos); err != nil {
		return fmt.Errorf("failbench: %s's position: %w", writer, err)
	}
	for _, h := range lab.DBHosts() {
		s, _ := l.Server(h.Name)
		if !s.Running() {
			continue
		}
		if h.Name != writer {
			var res *int64
			err := queryRow(ctxLimit(ctx, 20*time.Second), s, "SELECT MASTER_GTID_WAIT(?, 15)", &res, pos)
			if err != nil || res == nil || *res != 0 {
				t.Behind = append(t.Behind, h.Name)
			}
		}
		have, err := ackedIDs(ctx, s, ids)
		if err != nil && h.Name == writer {
			return fmt.Errorf("failbench: rows on %s: %w", h.Name, err)
		}
		if err != nil {
			// A replica that cannot be read has none of the rows.
			t.Behind = append(t.Behind, h.Name+" (unreadable: "+err.Error()+")")
		}
		lost := 0
		for _, id := range ids {
			if !have[id] {
				lost++
			}
		}
		t.LostOn[h.Name] = lost
		t.Lost = max(t.Lost, lost)
	}
	return nil
}

// keepLogs copies the lab's daemon logs (keepalived, coordinators,
// mmm-notify) and MariaDB error logs into dir, for evidence after the
// lab is gone. Best effort.
func keepLogs(l *lab.Lab, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	var files []string
	for _, pat := range []string{"*/*.log", "*.log", "*/mysql/*.err"} {
		m, _ := filepath.Glob(filepath.Join(l.StateDir(), pat))
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		rel, _ := filepath.Rel(l.StateDir(), f)
		_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(rel, "/", "_")), b, 0o644)
	}
}
