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
	// IOStopPending: the IO thread did not read stopped within
	// StopIOTimeout (see stopIO); the server finishes it by itself.
	// Writes were opened anyway because the SQL thread was stopped with
	// everything received applied.
	IOStopPending bool
	// Semisync is false when the server has no semisync (MySQL without
	// the plugins).
	Semisync bool
}

func (r PromoteResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "promote %s in %v", r.Host, r.Took.Round(time.Millisecond))
	if r.IOStopPending {
		b.WriteString(" (IO thread stop still pending)")
	}
	fmt.Fprintf(&b, " [%s]", r.Record)
	return b.String()
}

// Promote opens the candidate for writes, after CatchUp:
//
//  1. It must be a failover target (binary log and log_slave_updates, or
//     replicas repointed to it silently miss transactions).
//  2. Stop replicating from the old master without waiting on a
//     dead one (stopApplied, shared with Repoint): apply what was
//     received, stop the SQL thread, then end the IO thread within
//     StopIOTimeout. Promote does not wait for an IO thread that has not
//     ended by then: once the SQL thread reads stopped and the applied
//     position contains the received one, nothing the IO thread may
//     still write to the relay log reaches the data.
//  3. Semisync master side on, so that from the first write every commit
//     waits for a replica's acknowledgement, with the timeout the
//     coordinator owns (Options.SemisyncTimeout) set first: whatever
//     my.cnf says, the writer never gives up waiting before a cut-off
//     writer has been fenced.
//  4. read_only=0, verified by reading it back.
//  5. Semisync replica side off (it matters only when an IO thread
//     connects; it runs last and its failure is recorded, not fatal,
//     because an IO thread stop still pending may hold it).
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
	pending, err := r.stopApplied(ctx, rc, n)
	res.IOStopPending = pending
	if err != nil {
		rc.fail(n.Name, "stop replication", err)
		return fail(err)
	}
	err = r.semisyncMasterOn(ctx, rc, n)
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

// semisyncMasterOn sets the owned timeout, then turns the master side on
// (ErrNoSemisync when the server has none).
func (r *Runner) semisyncMasterOn(ctx context.Context, rc *recorder, n Node) error {
	if t := r.opts.SemisyncTimeout; t > 0 {
		err := rc.do(n.Name, fmt.Sprintf("semisync timeout %v", t), func() error { return n.DB.SetSemisyncMasterTimeout(ctx, t) })
		if err != nil {
			return err
		}
	}
	return rc.do(n.Name, "semisync master on", func() error { return n.DB.SetSemisyncMaster(ctx, true) })
}

// EnableSemisyncMaster is the master side of Promote for a writer that
// needs no handover (the startup's writer, one its own side fenced):
// the owned timeout, then the master side on. ErrNoSemisync when the
// server has none.
func (r *Runner) EnableSemisyncMaster(ctx context.Context, n Node) (Record, error) {
	var rec Record
	rc := r.recorder(&rec)
	defer rc.finish()
	if n.DB == nil {
		return rec, fmt.Errorf("failover: semisync on %s: %w", n.Name, ErrUnreachable)
	}
	return rec, r.semisyncMasterOn(ctx, rc, n)
}

// SemisyncWriter is EnableSemisyncMaster for a writer that may already
// have it: it reads semisync first and changes nothing when the master
// side is on with the owned timeout (an empty Record).
func (r *Runner) SemisyncWriter(ctx context.Context, n Node) (Record, error) {
	if n.DB == nil {
		return Record{}, fmt.Errorf("failover: semisync on %s: %w", n.Name, ErrUnreachable)
	}
	st, err := n.DB.Semisync(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("failover: semisync on %s: %w", n.Name, err)
	}
	if st.MasterEnabled && SemisyncTimeoutKept(st.MasterTimeout, r.opts.SemisyncTimeout) {
		return Record{}, nil
	}
	return r.EnableSemisyncMaster(ctx, n)
}

// SemisyncTimeoutKept reports whether a server's master side timeout is
// the owned one as the server stores it (whole milliseconds, at least
// 1); an owned timeout of 0 is not the coordinator's to keep.
func SemisyncTimeoutKept(got, owned time.Duration) bool {
	return owned <= 0 || got.Milliseconds() == max(owned.Milliseconds(), 1)
}
