package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// PromoteResult is what Promote did.
type PromoteResult struct {
	Host string
	Record
	// IOStopPending: STOP SLAVE IO_THREAD did not return within
	// StopIOTimeout (an IO thread still connecting to a dead master); the
	// server finishes it by itself. Writes were opened anyway because the
	// SQL thread was stopped with everything received applied.
	IOStopPending bool
	// Semisync is false when the server has no semisync (MySQL without
	// the plugins).
	Semisync bool
}

func (r PromoteResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "promote %s in %v", r.Host, r.Took.Round(time.Millisecond))
	if r.IOStopPending {
		b.WriteString(" (STOP SLAVE IO_THREAD still pending)")
	}
	fmt.Fprintf(&b, " [%s]", r.Record)
	return b.String()
}

// Promote opens the candidate for writes, after CatchUp:
//
//  1. It must be a failover target (binary log and log_slave_updates, or
//     replicas repointed to it silently miss transactions).
//  2. Stop replicating from the old master (W23) without waiting on a
//     dead one. The rule: what must hold before writes open is that
//     nothing more from the old master gets applied and that everything
//     received was applied. So: apply what was received (start the SQL
//     thread if it is stopped without an error; wait at most
//     ApplyTimeout), STOP SLAVE SQL_THREAD (fast: it only waits for the
//     event group in progress), then STOP SLAVE IO_THREAD with a deadline
//     of StopIOTimeout (200 ms; 3 ms against a live master in the lab).
//     An IO thread still connecting to, or reading from, a master that
//     is gone holds that statement for seconds (2 s in the lab, with the
//     IO thread still saying Yes after the master's network went down).
//     Promote does not wait for it: once the SQL thread reads stopped
//     and the applied position contains the received one, nothing the IO
//     thread may still write to the relay log reaches the data. If the IO
//     thread received more meanwhile, the SQL thread applies it and is
//     stopped again (three rounds at most).
//  3. Semisync master side on, so that from the first write every commit
//     waits for a replica's acknowledgement.
//  4. read_only=0, verified by reading it back.
//  5. Semisync replica side off (it matters only when an IO thread
//     connects; it runs last and its failure is recorded, not fatal,
//     because a pending STOP SLAVE IO_THREAD may hold it).
//
// Promote is idempotent. On error writes stay closed.
func (r *Runner) Promote(ctx context.Context, n Node) (res PromoteResult, err error) {
	res = PromoteResult{Host: n.Name}
	rc := r.recorder(&res.Record)
	defer rc.finish()
	fail := func(err error) (PromoteResult, error) {
		return res, fmt.Errorf("failover: promote %s: %w", n.Name, err)
	}
	if n.DB == nil {
		return fail(ErrUnreachable)
	}
	err = rc.do(n.Name, "check binlog settings", func() error {
		s, err := n.DB.BinlogSettings(ctx)
		if err != nil {
			return err
		}
		if err := s.FailoverTarget(); err != nil {
			return fmt.Errorf("%w: %w", ErrNotFailoverTarget, err)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if err := r.stopForPromotion(ctx, rc, n, &res); err != nil {
		rc.fail(n.Name, "stop replication", err)
		return fail(err)
	}
	err = rc.do(n.Name, "semisync master on", func() error { return n.DB.SetSemisyncMaster(ctx, true) })
	res.Semisync = err == nil
	switch {
	case errors.Is(err, dbctl.ErrNoSemisync):
		rc.note(n.Name, "no semisync on this server")
	case err != nil:
		return fail(err)
	}
	if err := rc.do(n.Name, "read_only=0", func() error { return n.DB.SetReadOnly(ctx, false) }); err != nil {
		return fail(err)
	}
	if res.Semisync {
		sctx, cancel := context.WithTimeout(ctx, r.opts.StopIOTimeout)
		_ = rc.do(n.Name, "semisync replica off", func() error { return n.DB.SetSemisyncReplica(sctx, false) })
		cancel()
	}
	return res, nil
}

// stopForPromotion is Promote's step 2.
func (r *Runner) stopForPromotion(ctx context.Context, rc *recorder, n Node, res *PromoteResult) error {
	f := n.DB.Flavor()
	for round := 0; ; round++ {
		rs, err := replica(ctx, n.DB)
		if err != nil {
			return err
		}
		if rs == nil {
			rc.note(n.Name, "not a replica: nothing to stop")
			return nil
		}
		recv, err := received(f, rs)
		if err != nil {
			return err
		}
		h, err := readHistory(ctx, n.DB)
		if err != nil {
			return err
		}
		need := recv.Subtract(h.applied)
		switch {
		case need.IsEmpty() && rs.SQL == dbctl.ThreadStopped && (rs.IO == dbctl.ThreadStopped || res.IOStopPending):
			rc.note(n.Name, "SQL thread stopped with everything received applied (%s); IO thread %s", orNone(h.applied), rs.IO)
			return nil
		case round == 3:
			return fmt.Errorf("%w: still receiving after %d rounds (lacks %s)", ErrNotCaughtUp, round, orNone(need))
		}
		if !need.IsEmpty() {
			if rs.SQL == dbctl.ThreadStopped {
				if rs.LastSQLErrno != 0 {
					return fmt.Errorf("%w: %s received but SQL thread stopped with error %d: %s",
						ErrNotCaughtUp, need, rs.LastSQLErrno, rs.LastSQLError)
				}
				err := rc.do(n.Name, "start slave SQL_THREAD", func() error { return n.DB.StartReplication(ctx, dbctl.SQLThread) })
				if err != nil {
					return err
				}
			}
			err := rc.do(n.Name, "apply relay log up to "+need.String(), func() error {
				return r.waitFor(ctx, n.DB, need, r.opts.Clock.Now().Add(r.opts.ApplyTimeout), broken(n.DB))
			})
			if err != nil {
				return fmt.Errorf("%w: %w", ErrNotCaughtUp, err)
			}
		}
		err = rc.do(n.Name, "stop slave SQL_THREAD", func() error { return n.DB.StopReplication(ctx, dbctl.SQLThread) })
		if err != nil {
			return fmt.Errorf("%w: %w", ErrStillReplicating, err)
		}
		if rs.IO != dbctl.ThreadStopped && !res.IOStopPending {
			if err := r.stopIO(ctx, rc, n, res); err != nil {
				return fmt.Errorf("%w: %w", ErrStillReplicating, err)
			}
		}
	}
}

// stopIO runs STOP SLAVE IO_THREAD with StopIOTimeout; a statement still
// pending at its deadline is recorded, not an error.
func (r *Runner) stopIO(ctx context.Context, rc *recorder, n Node, res *PromoteResult) error {
	sctx, cancel := context.WithTimeout(ctx, r.opts.StopIOTimeout)
	defer cancel()
	err := rc.do(n.Name, "stop slave IO_THREAD", func() error { return n.DB.StopReplication(sctx, dbctl.IOThread) })
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		res.IOStopPending = true
		rc.note(n.Name, "STOP SLAVE IO_THREAD still pending after %v: going on, the SQL thread is stopped", r.opts.StopIOTimeout)
		return nil
	}
	return err
}
