package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// RepointResult is what Repoint did.
type RepointResult struct {
	Host, Master string
	Record
	// Changed: CHANGE MASTER ran. Already: it replicated from Master
	// already (by GTID, or by position without GTIDs) and was only
	// started if need be.
	Changed, Already bool
	// Starts counts START SLAVE statements until both threads ran.
	Starts int
}

func (r RepointResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "repoint %s to %s", r.Host, r.Master)
	if r.Already {
		b.WriteString(" (already pointed there)")
	}
	fmt.Fprintf(&b, ", %d start%s, in %v [%s]", r.Starts, plural(r.Starts), r.Took.Round(time.Millisecond), r.Record)
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Repoint makes replica replicate from master with both threads running
// (the state machine's Repoint and StartReplication actions: replication
// is repaired, not only repointed):
//
//  1. GTID auto-positioning (MariaDB master_use_gtid=slave_pos, MySQL
//     SOURCE_AUTO_POSITION) wherever GTIDs exist: always on MariaDB; on
//     MySQL when the replica already auto-positions or the master has
//     executed GTIDs. Otherwise the only safe case is a replica already
//     following master by file and position, which is started as it is;
//     any other positional repoint is refused with ErrNoSafePosition:
//     the equivalent position cannot be computed from what the server
//     reports here, and "the new master's current position" (MMM) skips
//     or repeats transactions.
//  2. Before leaving its old source, the replica gets ApplyTimeout to
//     apply what it already received (CHANGE MASTER discards the relay
//     log).
//  3. Errant transactions (the replica has what master lacks) refuse the
//     repoint with an *ErrantError: replicating would fail (1236, 1950)
//     or diverge silently.
//  4. Leave the old source without waiting on it (leaveSource): stop the
//     SQL thread with everything received applied, then end the IO
//     thread as Promote does (stopApplied); only when that cannot be
//     shown, STOP SLAVE (bounded, polled). Then CHANGE MASTER, semisync
//     master side off (a demoted host must not wait for ACKs; on a pure
//     replica it stalls the applier) and replica side on.
//  5. START SLAVE and verify that both threads run, starting them again
//     with backoff until they do or ctx ends (ErrNotRunning with the last
//     errors). It never reports success with replication stopped, also
//     when the replica already pointed at master (MMM left it stopped).
//
// Repoint is idempotent.
func (r *Runner) Repoint(ctx context.Context, replica, master Node) (res RepointResult, err error) {
	res = RepointResult{Host: replica.Name, Master: master.Name}
	rc := r.recorder(&res.Record)
	defer rc.finish()
	if err := r.repoint(ctx, rc, &res, replica, master); err != nil {
		return res, fmt.Errorf("failover: repoint %s to %s: %w", replica.Name, master.Name, err)
	}
	return res, nil
}

func (r *Runner) repoint(ctx context.Context, rc *recorder, res *RepointResult, rep, master Node) error {
	if rep.DB == nil || master.DB == nil {
		return ErrUnreachable
	}
	f := rep.DB.Flavor()
	rs, err := replica(ctx, rep.DB)
	if err != nil {
		return err
	}
	mh, err := readHistory(ctx, master.DB)
	if err != nil {
		return fmt.Errorf("%s: %w", master.Name, err)
	}
	same := master.Source.serves(rs)
	auto := f == dbctl.MariaDB || (rs != nil && rs.AutoPosition) || !mh.binlog.IsEmpty()
	if !auto && !same {
		return fmt.Errorf("%w: %s replicates by file and position and %s has no GTIDs; repoint it by hand",
			ErrNoSafePosition, rep.Name, master.Name)
	}
	change := !same || (auto && !rs.AutoPosition)

	if change && rs != nil && rs.SQL != dbctl.ThreadStopped {
		recv, err := received(f, rs)
		if err != nil {
			return err
		}
		h, err := readHistory(ctx, rep.DB)
		if err != nil {
			return err
		}
		if need := recv.Subtract(h.applied); !need.IsEmpty() {
			_ = rc.do(rep.Name, "apply relay log up to "+need.String(), func() error {
				return r.waitFor(ctx, rep.DB, need, r.opts.Clock.Now().Add(r.opts.ApplyTimeout), broken(rep.DB))
			})
		}
	}
	h, err := readHistory(ctx, rep.DB)
	if err != nil {
		return err
	}
	if e := errant(h, mh); len(e) > 0 {
		err := &ErrantError{Host: rep.Name, Writer: master.Name, GTIDs: e}
		rc.fail(rep.Name, "errant check", err)
		return err
	}

	if change {
		if err := r.leaveSource(ctx, rc, rep, rs); err != nil {
			return err
		}
		err := rc.do(rep.Name, "change master to "+master.Name+" "+master.Source.String()+" (gtid)", func() error {
			return rep.DB.ChangeSource(ctx, r.source(master.Source, true))
		})
		if err != nil {
			return err
		}
		res.Changed = true
	} else {
		res.Already = true
		rc.note(rep.Name, "already replicates from %s", master.Name)
	}
	inactive, err := r.semisyncReplica(ctx, rc, rep)
	if err != nil {
		return err
	}
	if inactive && !change && rs != nil && rs.IO != dbctl.ThreadStopped {
		// The replica side takes effect when the IO thread connects: one
		// that has run since before (a demoted writer whose ring was
		// closed again) would stay an asynchronous replica, and the
		// writer's durability would hang on the other replicas alone.
		if err := r.restartIO(ctx, rc, rep); err != nil {
			return err
		}
	}
	if rs2, err := replica(ctx, rep.DB); err == nil && (rs2 == nil || rs2.IO == dbctl.ThreadStopped) {
		r.killStaleDump(ctx, rc, rep, master)
	}
	return r.startVerified(ctx, rc, rep, res)
}

// killStaleDump ends the master's dump threads for rep before rep's IO
// thread connects (dbctl.KillDumpThreads: a stale one, left blocked on a
// link that was cut, made the master stop answering for seconds when rep
// reconnected). Best effort: a failure is noted, the start goes on.
func (r *Runner) killStaleDump(ctx context.Context, rc *recorder, rep, master Node) {
	n, err := master.DB.KillDumpThreads(ctx, rep.Source.Host)
	switch {
	case err != nil:
		rc.note(master.Name, "stale dump threads for %s not ended: %v", rep.Name, err)
	case n > 0:
		rc.note(master.Name, "ended %d stale dump thread(s) for %s", n, rep.Name)
	}
}

// leaveSource stops rep's replication before a CHANGE MASTER (Repoint,
// Rejoin, CatchUp's pull). A replica of a dead master is the case that
// matters: after a host death it is repointed on the failover's critical
// path (the new writer's commits wait for its semisync ACK), and a plain
// STOP SLAVE waits 2 s there for an IO thread still reading from the
// dead host. So, with a thread
// running, stopApplied first: the SQL thread stopped once it has applied
// everything received (CHANGE MASTER discards the relay log, so nothing
// received is lost), the IO thread ended within StopIOTimeout. If that
// fails (the SQL thread cannot apply, the IO thread outlives the bound),
// STOP SLAVE as before: bounded by StopTimeout and polled until both
// threads read stopped.
func (r *Runner) leaveSource(ctx context.Context, rc *recorder, rep Node, rs *dbctl.ReplicaStatus) error {
	if rs != nil && !rs.Stopped() {
		pending, err := r.stopApplied(ctx, rc, rep)
		switch {
		case err == nil && !pending:
			return nil
		case err != nil:
			rc.note(rep.Name, "not stopped with everything applied (%v): STOP SLAVE", err)
		}
	}
	return r.stopAll(ctx, rc, rep)
}

// semisyncReplica turns the semisync master side off and the replica side
// on; a server without semisync is noted, not an error. inactive: the
// replica side was not active before (Rpl_semi_sync_slave_status), so a
// running IO thread does not acknowledge until it reconnects.
func (r *Runner) semisyncReplica(ctx context.Context, rc *recorder, n Node) (inactive bool, err error) {
	st, serr := n.DB.Semisync(ctx)
	err = rc.do(n.Name, "semisync master off", func() error { return n.DB.SetSemisyncMaster(ctx, false) })
	if err == nil {
		err = rc.do(n.Name, "semisync replica on", func() error { return n.DB.SetSemisyncReplica(ctx, true) })
	}
	if errors.Is(err, dbctl.ErrNoSemisync) {
		rc.note(n.Name, "no semisync on this server")
		return false, nil
	}
	return err == nil && serr == nil && !st.ReplicaActive, err
}

// restartIO reconnects n's running IO thread, so that a replica side
// turned on since it connected takes effect. KillReplicaIO, not STOP
// SLAVE IO_THREAD: that one can wait seconds for the thread to notice,
// holding the replica's run lock (SHOW SLAVE STATUS waits behind it).
func (r *Runner) restartIO(ctx context.Context, rc *recorder, n Node) error {
	return rc.do(n.Name, "restart the IO thread for semisync", func() error {
		if _, err := n.DB.KillReplicaIO(ctx); errors.Is(err, dbctl.ErrUnsupported) {
			if err := n.DB.StopReplication(ctx, dbctl.IOThread); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		return n.DB.StartReplication(ctx, dbctl.IOThread)
	})
}

// SemisyncNonWriter gives a host that does not hold the writer role the
// semisync layout the coordinator keeps, whatever its my.cnf says (the
// seed article's enables both sides on both masters): master side off,
// so that a passive master applying the writer's events through the ring
// never waits for an ACK (a promotion after the writer died waited the
// semisync timeout in STOP SLAVE SQL_THREAD), and replica side on, its
// running IO thread reconnected when that side was not active, so that
// it acknowledges the writer's commits. ErrNoSemisync when the server
// has none.
func (r *Runner) SemisyncNonWriter(ctx context.Context, n Node) (Record, error) {
	var rec Record
	rc := r.recorder(&rec)
	defer rc.finish()
	if err := r.semisyncNonWriter(ctx, rc, n); err != nil {
		return rec, fmt.Errorf("failover: semisync on %s: %w", n.Name, err)
	}
	return rec, nil
}

func (r *Runner) semisyncNonWriter(ctx context.Context, rc *recorder, n Node) error {
	if n.DB == nil {
		return ErrUnreachable
	}
	st, err := n.DB.Semisync(ctx)
	if err != nil {
		return err
	}
	if st.MasterEnabled {
		if err := rc.do(n.Name, "semisync master off", func() error { return n.DB.SetSemisyncMaster(ctx, false) }); err != nil {
			return err
		}
	}
	if !st.ReplicaEnabled {
		if err := rc.do(n.Name, "semisync replica on", func() error { return n.DB.SetSemisyncReplica(ctx, true) }); err != nil {
			return err
		}
	}
	if st.ReplicaActive {
		return nil
	}
	rs, err := replica(ctx, n.DB)
	if err != nil || rs == nil || rs.IO != dbctl.ThreadRunning {
		return err
	}
	return r.restartIO(ctx, rc, n)
}

// startVerified starts replication until both threads run: a
// stopped thread gets START SLAVE again with backoff; an IO thread
// connecting or a thread preparing gets time.
func (r *Runner) startVerified(ctx context.Context, rc *recorder, n Node, res *RepointResult) error {
	d := r.opts.Backoff
	var last *dbctl.ReplicaStatus
	var lastErr error
	for {
		rs, err := replica(ctx, n.DB)
		switch {
		case err != nil:
			lastErr = err
		case rs == nil:
			return fmt.Errorf("%w: no source configured", ErrNotRunning)
		case rs.Running():
			rc.note(n.Name, "both replication threads run")
			return nil
		case rs.IO == dbctl.ThreadStopped || rs.SQL == dbctl.ThreadStopped:
			last = rs
			res.Starts++
			lastErr = rc.do(n.Name, "start slave", func() error { return n.DB.StartReplication(ctx, dbctl.BothThreads) })
		default:
			last = rs
		}
		if err := r.sleep(ctx, d); err != nil {
			if last == nil {
				return fmt.Errorf("%w: %w", ErrNotRunning, errors.Join(lastErr, err))
			}
			return fmt.Errorf("%w: IO %s (error %d: %s), SQL %s (error %d: %s): %w", ErrNotRunning,
				last.IO, last.LastIOErrno, last.LastIOError, last.SQL, last.LastSQLErrno, last.LastSQLError, err)
		}
		d = r.backoff(d)
	}
}
