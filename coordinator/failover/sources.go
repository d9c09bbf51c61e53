package failover

import (
	"context"
	"errors"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// sourceState is another host as CatchUp sees it.
type sourceState struct {
	node     Node
	servable Position // in its binary log: what a replica can fetch from it
	want     Position // everything it applied or received
	why      string   // why it cannot serve; "" = it can
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
	err := r.leaveSource(ctx, rc, cand, rs0) // its source may be the dead writer
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
