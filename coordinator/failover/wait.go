package failover

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// replica reads SHOW SLAVE STATUS (again once if its connection was
// killed under it, retryLost); nil without error when srv is no replica.
func replica(ctx context.Context, srv Server) (*dbctl.ReplicaStatus, error) {
	rs, err := retryLost(func() (*dbctl.ReplicaStatus, error) { return srv.ReplicaStatus(ctx) })
	if errors.Is(err, dbctl.ErrNotReplica) {
		return nil, nil
	}
	return rs, err
}

// waitFor waits until srv has applied pos, until the runner's clock
// reads until: MASTER_GTID_WAIT (WAIT_FOR_EXECUTED_GTID_SET) in slices of
// at most WaitSlice, so that a long wait never outlives the connection's
// read timeout and check (nil = none) can end it early between slices,
// e.g. on a replication error that makes waiting pointless. ctx bounds
// it too.
//
// MASTER_GTID_WAIT compares with @@gtid_slave_pos: pass only what the
// server lacks (target.Subtract(applied)), never a GTID it wrote itself.
func (r *Runner) waitFor(ctx context.Context, srv Server, pos Position, until time.Time, check func(context.Context) error) error {
	if pos.IsEmpty() {
		return nil
	}
	for {
		left := until.Sub(r.opts.Clock.Now())
		if left <= 0 {
			return fmt.Errorf("failover: wait for %s: %w", pos, dbctl.ErrWaitTimeout)
		}
		err := srv.WaitForGTID(ctx, pos.String(), max(min(left, r.opts.WaitSlice), 10*time.Millisecond))
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, dbctl.ErrWaitTimeout):
			return err
		}
		if check != nil {
			if err := check(ctx); err != nil {
				return err
			}
		}
	}
}

// broken returns a check for waitFor that ends a wait on srv when its
// replication cannot bring anything more: the SQL thread stopped, or the
// IO thread stopped with an error (1236: the source lacks what it asks
// for). A failed read keeps the wait going.
func broken(srv Server) func(context.Context) error {
	return func(ctx context.Context) error {
		rs, err := replica(ctx, srv)
		switch {
		case err != nil:
			return nil
		case rs == nil:
			return fmt.Errorf("%w: no source configured", ErrNotRunning)
		case rs.SQL == dbctl.ThreadStopped:
			return fmt.Errorf("%w: SQL thread stopped (error %d: %s)", ErrNotRunning, rs.LastSQLErrno, rs.LastSQLError)
		case rs.IO == dbctl.ThreadStopped && rs.LastIOErrno != 0:
			return fmt.Errorf("%w: IO thread stopped (error %d: %s)", ErrNotRunning, rs.LastIOErrno, rs.LastIOError)
		}
		return nil
	}
}

// stopAll stops both replication threads and returns once both read
// stopped. One STOP SLAVE runs at a time, bounded by StopTimeout: an IO
// thread still connecting to a dead source holds it for seconds, and the
// server finishes it after its deadline anyway, so the threads are polled
// with backoff until ctx ends.
func (r *Runner) stopAll(ctx context.Context, rc *recorder, n Node) error {
	return rc.do(n.Name, "stop slave", func() error {
		d := r.opts.Backoff
		for {
			sctx, cancel := context.WithTimeout(ctx, r.opts.StopTimeout)
			err := n.DB.StopReplication(sctx, dbctl.BothThreads)
			cancel()
			switch {
			case errors.Is(err, dbctl.ErrNotReplica):
				return nil
			case err != nil && (ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded)):
				return err
			}
			rs, err := replica(ctx, n.DB)
			if err == nil && (rs == nil || rs.Stopped()) {
				return nil
			}
			if serr := r.sleep(ctx, d); serr != nil {
				if rs != nil {
					return fmt.Errorf("%w: IO %s, SQL %s: %w", ErrStillReplicating, rs.IO, rs.SQL, serr)
				}
				return fmt.Errorf("%w: %w", ErrStillReplicating, errors.Join(err, serr))
			}
			d = r.backoff(d)
		}
	})
}
