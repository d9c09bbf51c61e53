package failover

import (
	"context"
	"errors"
	"fmt"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// stopApplied stops n's replication so that nothing more from its source
// reaches the data and everything it received was applied: what must hold
// before a promoted host opens writes (Promote) and what lets a
// replica leave a source that may be dead without discarding relay-log
// events (Repoint). In rounds: apply what was received (start the SQL
// thread if it is stopped without an error; wait at most ApplyTimeout),
// STOP SLAVE SQL_THREAD (fast: it only waits for the event group in
// progress), then end the IO thread within StopIOTimeout (stopIO). If the
// IO thread received more meanwhile, the SQL thread applies it and is
// stopped again (three rounds at most, then ErrNotCaughtUp).
//
// ioPending reports an IO thread that had not ended at StopIOTimeout.
// Errors wrap ErrNotCaughtUp (received but not applied) or
// ErrStillReplicating (a stop failed).
func (r *Runner) stopApplied(ctx context.Context, rc *recorder, n Node) (ioPending bool, err error) {
	f := n.DB.Flavor()
	for round := 0; ; round++ {
		rs, err := replica(ctx, n.DB)
		if err != nil {
			return ioPending, err
		}
		if rs == nil {
			rc.note(n.Name, "not a replica: nothing to stop")
			return false, nil
		}
		recv, err := received(f, rs)
		if err != nil {
			return ioPending, err
		}
		h, err := readHistory(ctx, n.DB)
		if err != nil {
			return ioPending, err
		}
		need := recv.Subtract(h.applied)
		switch {
		case need.IsEmpty() && rs.SQL == dbctl.ThreadStopped && (rs.IO == dbctl.ThreadStopped || ioPending):
			rc.note(n.Name, "SQL thread stopped with everything received applied (%s); IO thread %s", orNone(h.applied), rs.IO)
			return ioPending, nil
		case round == 3:
			return ioPending, fmt.Errorf("%w: still receiving after %d rounds (lacks %s)", ErrNotCaughtUp, round, orNone(need))
		}
		if !need.IsEmpty() {
			if rs.SQL == dbctl.ThreadStopped {
				if rs.LastSQLErrno != 0 {
					return ioPending, fmt.Errorf("%w: %s received but SQL thread stopped with error %d: %s",
						ErrNotCaughtUp, need, rs.LastSQLErrno, rs.LastSQLError)
				}
				err := rc.do(n.Name, "start slave SQL_THREAD", func() error { return n.DB.StartReplication(ctx, dbctl.SQLThread) })
				if err != nil {
					return ioPending, err
				}
			}
			err := rc.do(n.Name, "apply relay log up to "+need.String(), func() error {
				return r.waitFor(ctx, n.DB, need, r.opts.Clock.Now().Add(r.opts.ApplyTimeout), broken(n.DB))
			})
			if err != nil {
				return ioPending, fmt.Errorf("%w: %w", ErrNotCaughtUp, err)
			}
		}
		err = rc.do(n.Name, "stop slave SQL_THREAD", func() error { return n.DB.StopReplication(ctx, dbctl.SQLThread) })
		if err != nil {
			return ioPending, fmt.Errorf("%w: %w", ErrStillReplicating, err)
		}
		if rs.IO != dbctl.ThreadStopped && !ioPending {
			if ioPending, err = r.stopIO(ctx, rc, n); err != nil {
				return ioPending, fmt.Errorf("%w: %w", ErrStillReplicating, err)
			}
		}
	}
}

// stopIO ends the IO thread within StopIOTimeout; call it only with the
// SQL thread stopped. On MariaDB through dbctl.KillReplicaIO (KILL of the
// thread, then STOP SLAVE IO_THREAD: 5 ms in the lab against a dead or
// frozen master, where STOP SLAVE IO_THREAD alone takes 2.0 s and, while
// pending, holds up the CHANGE MASTER of a repoint and any later STOP
// SLAVE); other flavours get STOP SLAVE IO_THREAD. A thread not stopped
// at the deadline is reported pending, not an error: the server ends it
// by itself.
func (r *Runner) stopIO(ctx context.Context, rc *recorder, n Node) (pending bool, err error) {
	sctx, cancel := context.WithTimeout(ctx, r.opts.StopIOTimeout)
	defer cancel()
	if n.DB.Flavor() == dbctl.MariaDB {
		err = rc.do(n.Name, "kill and stop the IO thread", func() error {
			_, err := n.DB.KillReplicaIO(sctx)
			return err
		})
	} else {
		err = rc.do(n.Name, "stop slave IO_THREAD", func() error { return n.DB.StopReplication(sctx, dbctl.IOThread) })
	}
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		rc.note(n.Name, "IO thread not stopped after %v: going on, the SQL thread is stopped", r.opts.StopIOTimeout)
		return true, nil
	}
	return false, err
}
