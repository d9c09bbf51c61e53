package failover

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// CatchUpRequest names the hosts of one catch-up (the state machine's
// CatchUp action).
type CatchUpRequest struct {
	Candidate Node
	// Previous is the old writer (Name "" when none; DB nil when it does
	// not answer). It is a source like the others when it answers, and
	// where the candidate is pointed back after a pull.
	Previous Node
	// Others are the other hosts that answer, in configuration order
	// (replicas, and with MostComplete's Sources first).
	Others []Node
	// Target, when not empty, is the old writer's last known position
	// (the state machine's CatchUp.Target). What no reachable host has of
	// it is reported as Unrecoverable.
	Target Position
}

// Pull is one detour of the candidate through another host.
type Pull struct {
	From   string
	Wanted Position
	Err    string // "" = got it
}

// CatchUpResult is what CatchUp did and found.
type CatchUpResult struct {
	Host string
	Record
	// Applied is the candidate's applied position at the end.
	Applied Position
	Pulls   []Pull
	// Missing is what the candidate's own relay log or a reachable host
	// held that the candidate still lacks at the end. Non-empty means
	// ErrCatchUpIncomplete (policy refuse) or PromoteAnyway.
	Missing Position
	// Unrecoverable is what Target has and no reachable host has: only the
	// unreachable old writer had it when last seen. With semisync active
	// (AFTER_SYNC) no client was told those transactions committed; without
	// it they are lost unless the old writer returns, and its rejoin then
	// reports them as errant.
	Unrecoverable Position
	// PromoteAnyway: Missing is not empty and the policy is promote; the
	// coordinator records Missing in the history.
	PromoteAnyway bool
}

func (r CatchUpResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "catch-up %s: applied %s", r.Host, orNone(r.Applied))
	if !r.Missing.IsEmpty() {
		fmt.Fprintf(&b, ", MISSING %s", r.Missing)
		if r.PromoteAnyway {
			b.WriteString(" (promoted anyway: catchup_policy promote)")
		}
	}
	if !r.Unrecoverable.IsEmpty() {
		fmt.Fprintf(&b, ", only the old writer had %s", r.Unrecoverable)
	}
	fmt.Fprintf(&b, " in %v [%s]", r.Took.Round(time.Millisecond), r.Record)
	return b.String()
}

func orNone(p Position) string {
	if p.IsEmpty() {
		return "nothing"
	}
	return p.String()
}

// sourceState is another host as CatchUp sees it.
type sourceState struct {
	node     Node
	servable Position // in its binary log: what a replica can fetch from it
	want     Position // everything it applied or received
	why      string   // why it cannot serve; "" = it can
}

// CatchUp makes the candidate apply everything it has received and
// everything any reachable host has, within CatchupTimeout:
//
//  1. Its own relay log: wait (MASTER_GTID_WAIT) for what its IO thread
//     received (Gtid_IO_Pos) and it has not applied; MASTER_GTID_WAIT
//     waits for the applied position.
//  2. Every other reachable host is asked for its position after it has
//     applied its own relay log (a semisync replica acknowledges a
//     transaction when it receives it, so an acknowledged transaction may
//     exist only in db3's relay log). Where a host has transactions the
//     candidate lacks, most-ahead first, the candidate replicates from it:
//     through its current replication if that host is its source already,
//     otherwise by a detour: STOP SLAVE, CHANGE MASTER to that host with
//     GTID, START SLAVE, wait until it has them, STOP SLAVE, CHANGE MASTER
//     back to its previous source (Previous, or the host among Others it
//     replicated from) and START again the threads that were running.
//  3. What it still lacks is Missing. Empty: success. Otherwise the
//     policy decides: refuse returns ErrCatchUpIncomplete (the coordinator
//     alerts and keeps the writer closed); promote returns success with
//     PromoteAnyway and Missing recorded.
//
// Failures of single hosts or waits are recorded and end up in Missing;
// only an unreachable candidate is an error of its own. CatchUp is
// idempotent. It leaves the candidate's replication as it found it.
func (r *Runner) CatchUp(ctx context.Context, req CatchUpRequest) (res CatchUpResult, err error) {
	res = CatchUpResult{Host: req.Candidate.Name}
	rc := r.recorder(&res.Record)
	defer rc.finish()
	cand := req.Candidate
	if cand.DB == nil {
		return res, fmt.Errorf("failover: catch-up %s: %w", cand.Name, ErrUnreachable)
	}
	until := r.opts.Clock.Now().Add(r.opts.CatchupTimeout)
	wctx, cancel := context.WithTimeout(ctx, r.opts.CatchupTimeout)
	defer cancel()
	f := cand.DB.Flavor()
	fatal := func(what string, err error) (CatchUpResult, error) {
		rc.fail(cand.Name, what, err)
		return res, fmt.Errorf("failover: catch-up %s: %s: %w", cand.Name, what, err)
	}

	rs, err := replica(wctx, cand.DB)
	if err != nil {
		return fatal("replica status", err)
	}
	own, err := received(f, rs)
	if err != nil {
		return fatal("replica status", err)
	}
	h, err := readHistory(wctx, cand.DB)
	if err != nil {
		return fatal("gtid state", err)
	}
	if need := own.Subtract(h.applied); need.IsEmpty() {
		rc.note(cand.Name, "relay log applied (received %s)", orNone(own))
	} else {
		r.follow(wctx, rc, cand, rs, dbctl.SQLThread, need, until)
	}

	known := r.known(req)
	var origin *Node
	for i := range known {
		if known[i].Source.serves(rs) {
			origin = &known[i]
			break
		}
	}
	var sources []sourceState
	for _, n := range known {
		if n.DB == nil {
			rc.note(n.Name, "unreachable: not asked")
			continue
		}
		s, err := r.inspectSource(wctx, rc, n, f, until)
		if err != nil {
			rc.fail(n.Name, "read position", err)
			continue
		}
		sources = append(sources, s)
	}
	// Most ahead first; stable, so configuration order breaks ties.
	slices.SortStableFunc(sources, func(a, b sourceState) int {
		return cmp.Compare(b.servable.Lead(h.applied), a.servable.Lead(h.applied))
	})
	for _, s := range sources {
		if h, err = readHistory(wctx, cand.DB); err != nil {
			return fatal("gtid state", err)
		}
		gap := s.servable.Subtract(h.applied)
		switch {
		case gap.IsEmpty():
			continue
		case s.why != "":
			rc.note(s.node.Name, "has %s the candidate lacks but cannot serve it: %s", gap, s.why)
		case origin != nil && origin.Name == s.node.Name:
			r.follow(wctx, rc, cand, rs, dbctl.BothThreads, gap, until)
		case f != dbctl.MariaDB && rs != nil && !rs.AutoPosition:
			rc.note(cand.Name, "cannot pull %s from %s: it replicates by file position", gap, s.node.Name)
		default:
			res.Pulls = append(res.Pulls, r.pull(wctx, rc, cand, s.node, gap, origin, rs, until))
		}
	}

	// The outcome, read even when the deadline has passed.
	octx, ocancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.StopTimeout)
	defer ocancel()
	if h, err = readHistory(octx, cand.DB); err != nil {
		return fatal("gtid state", err)
	}
	res.Applied = h.applied
	res.Missing = own.Subtract(h.applied)
	all := h.applied.Union(own)
	for _, s := range sources {
		res.Missing = res.Missing.Union(s.want.Subtract(h.applied))
		all = all.Union(s.want)
	}
	res.Unrecoverable = req.Target.Subtract(all)
	if res.Missing.IsEmpty() {
		return res, nil
	}
	if r.opts.Policy == config.CatchupPromote {
		res.PromoteAnyway = true
		rc.note(cand.Name, "lacks %s: promoting anyway (catchup_policy promote)", res.Missing)
		return res, nil
	}
	rc.note(cand.Name, "lacks %s: refusing (catchup_policy refuse)", res.Missing)
	return res, fmt.Errorf("failover: catch-up %s: %w: lacks %s after %v", cand.Name, ErrCatchUpIncomplete,
		res.Missing, r.opts.CatchupTimeout)
}

// known lists Previous (when named) and Others without the candidate and
// without duplicates, in that order.
func (r *Runner) known(req CatchUpRequest) []Node {
	var out []Node
	seen := map[string]bool{req.Candidate.Name: true}
	for _, n := range append([]Node{req.Previous}, req.Others...) {
		if n.Name == "" || seen[n.Name] {
			continue
		}
		seen[n.Name] = true
		out = append(out, n)
	}
	return out
}

// follow lets the candidate's current replication bring gap: the given
// threads are started where stopped (the SQL thread only without an
// error), then gap is waited for. Failures are recorded; the outcome
// shows in Missing.
func (r *Runner) follow(ctx context.Context, rc *recorder, cand Node, rs *dbctl.ReplicaStatus, threads dbctl.Threads,
	gap Position, until time.Time) {
	if rs == nil {
		return
	}
	if rs.SQL == dbctl.ThreadStopped && rs.LastSQLErrno != 0 {
		rc.note(cand.Name, "SQL thread stopped with error %d: cannot apply %s", rs.LastSQLErrno, gap)
		return
	}
	if start := stoppedOf(rs, threads); start != 0 {
		if rc.do(cand.Name, "start slave "+start.String(), func() error { return cand.DB.StartReplication(ctx, start) }) != nil {
			return
		}
	}
	_ = rc.do(cand.Name, "wait for "+gap.String(), func() error {
		return r.waitFor(ctx, cand.DB, gap, until, broken(cand.DB))
	})
}

// inspectSource reads what n has, after giving it until ApplyTimeout (and
// the catch-up deadline) to apply its own relay log.
func (r *Runner) inspectSource(ctx context.Context, rc *recorder, n Node, f dbctl.Flavor, until time.Time) (sourceState, error) {
	s := sourceState{node: n}
	settings, err := n.DB.BinlogSettings(ctx)
	if err != nil {
		return s, err
	}
	rs, err := replica(ctx, n.DB)
	if err != nil {
		return s, err
	}
	recv, err := received(n.DB.Flavor(), rs)
	if err != nil {
		return s, err
	}
	h, err := readHistory(ctx, n.DB)
	if err != nil {
		return s, err
	}
	if need := recv.Subtract(h.applied); !need.IsEmpty() && rs.SQL != dbctl.ThreadStopped {
		limit := r.opts.Clock.Now().Add(r.opts.ApplyTimeout)
		if until.Before(limit) {
			limit = until
		}
		_ = rc.do(n.Name, "apply own relay log up to "+need.String(), func() error {
			return r.waitFor(ctx, n.DB, need, limit, broken(n.DB))
		})
		if h, err = readHistory(ctx, n.DB); err != nil {
			return s, err
		}
	}
	s.servable, s.want = h.binlog, h.applied.Union(recv)
	rc.note(n.Name, "has %s", orNone(s.want))
	switch {
	case n.DB.Flavor() != f:
		s.why = "another flavour"
	case !settings.LogBin:
		s.why = "binary log off"
	case f != dbctl.MariaDB && !settings.LogReplicaUpdates:
		// MySQL's gtid_executed includes what it replicated without
		// logging it; MariaDB's gtid_binlog_pos only holds what is logged.
		s.why = "log_replica_updates off"
	}
	return s, nil
}

// pull is the detour: the candidate replicates from src until it has
// gap, then goes back to origin (left stopped at src when it had no
// known source). Recorded; the outcome shows in Missing.
func (r *Runner) pull(ctx context.Context, rc *recorder, cand, src Node, gap Position, origin *Node,
	rs0 *dbctl.ReplicaStatus, until time.Time) Pull {
	p := Pull{From: src.Name, Wanted: gap}
	var running dbctl.Threads // to start again on the way back
	if rs0 != nil {
		running = dbctl.BothThreads &^ stoppedOf(rs0, dbctl.BothThreads)
	}
	err := r.stopAll(ctx, rc, cand)
	if err == nil {
		err = rc.do(cand.Name, "change master to "+src.Name+" "+src.Source.String()+" (gtid)", func() error {
			return cand.DB.ChangeSource(ctx, r.source(src.Source, true))
		})
	}
	if err == nil {
		err = rc.do(cand.Name, "start slave", func() error { return cand.DB.StartReplication(ctx, dbctl.BothThreads) })
	}
	if err == nil {
		err = rc.do(cand.Name, "wait for "+gap.String()+" from "+src.Name, func() error {
			return r.waitFor(ctx, cand.DB, gap, until, broken(cand.DB))
		})
	}
	// The way back runs even after the deadline, bounded on its own.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*r.opts.StopTimeout)
	defer cancel()
	back := r.stopAll(bctx, rc, cand)
	switch {
	case back != nil:
	case origin == nil:
		rc.note(cand.Name, "left stopped, pointing at %s: it had no known source before", src.Name)
	default:
		back = rc.do(cand.Name, "change master back to "+origin.Name+" "+origin.Source.String()+" (gtid)", func() error {
			return cand.DB.ChangeSource(bctx, r.source(origin.Source, true))
		})
		if back == nil && running != 0 {
			back = rc.do(cand.Name, "start slave "+running.String(), func() error { return cand.DB.StartReplication(bctx, running) })
		}
	}
	if err = errors.Join(err, back); err != nil {
		p.Err = err.Error()
	}
	return p
}

// stoppedOf returns those of threads that rs shows stopped.
func stoppedOf(rs *dbctl.ReplicaStatus, threads dbctl.Threads) dbctl.Threads {
	var out dbctl.Threads
	if threads&dbctl.IOThread != 0 && rs.IO == dbctl.ThreadStopped {
		out |= dbctl.IOThread
	}
	if threads&dbctl.SQLThread != 0 && rs.SQL == dbctl.ThreadStopped {
		out |= dbctl.SQLThread
	}
	return out
}
