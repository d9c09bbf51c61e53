package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RejoinResult is what Rejoin did.
type RejoinResult struct {
	Host, Writer string
	Record
	// Changed and Starts as in RepointResult.
	Changed bool
	Starts  int
	// Errant lists the transactions that refused the rejoin.
	Errant []string
	// CaughtUp is the writer's position the host was verified to have
	// applied.
	CaughtUp Position
}

func (r RejoinResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rejoin %s to %s", r.Host, r.Writer)
	switch {
	case len(r.Errant) > 0:
		fmt.Fprintf(&b, ": REFUSED, errant %s", strings.Join(r.Errant, ", "))
	case !r.CaughtUp.IsEmpty():
		fmt.Fprintf(&b, ": caught up with %s", r.CaughtUp)
	}
	fmt.Fprintf(&b, " in %v [%s]", r.Took.Round(time.Millisecond), r.Record)
	return b.String()
}

// Rejoin brings a recovered old master back under the writer before it
// may be ONLINE (MMM left it with replication stopped, and pulled its
// unshipped writes into the new writer):
//
//  1. read_only=1: a rejoining host is never writable.
//  2. Repoint it to the writer (see Repoint): errant transactions, GTIDs
//     it has and the writer lacks (a host that died mid-transaction comes
//     back with one nobody else has), refuse with an *ErrantError listing
//     them; the coordinator reports them and keeps the host from becoming
//     ONLINE automatically.
//  3. Both threads running, then verify it caught up: the writer's
//     position at that moment, applied within CatchupTimeout.
//
// Rejoin is idempotent.
func (r *Runner) Rejoin(ctx context.Context, old, writer Node) (res RejoinResult, err error) {
	res = RejoinResult{Host: old.Name, Writer: writer.Name}
	rc := r.recorder(&res.Record)
	defer rc.finish()
	err = r.rejoin(ctx, rc, &res, old, writer)
	var ee *ErrantError
	if errors.As(err, &ee) {
		res.Errant = ee.GTIDs
	}
	if err != nil {
		return res, fmt.Errorf("failover: rejoin %s to %s: %w", old.Name, writer.Name, err)
	}
	return res, nil
}

func (r *Runner) rejoin(ctx context.Context, rc *recorder, res *RejoinResult, old, writer Node) error {
	if old.DB == nil || writer.DB == nil {
		return ErrUnreachable
	}
	if err := rc.do(old.Name, "read_only=1", func() error { return old.DB.SetReadOnly(ctx, true) }); err != nil {
		return err
	}
	rp := RepointResult{Host: old.Name, Master: writer.Name}
	err := r.repoint(ctx, rc, &rp, old, writer)
	res.Changed, res.Starts = rp.Changed, rp.Starts
	if err != nil {
		return err
	}
	wh, err := readHistory(ctx, writer.DB)
	if err != nil {
		return fmt.Errorf("%s: %w", writer.Name, err)
	}
	oh, err := readHistory(ctx, old.DB)
	if err != nil {
		return err
	}
	need := wh.binlog.Subtract(oh.applied)
	err = rc.do(old.Name, "catch up with "+writer.Name+": wait for "+orNone(need), func() error {
		return r.waitFor(ctx, old.DB, need, r.opts.Clock.Now().Add(r.opts.CatchupTimeout), broken(old.DB))
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotCaughtUp, err)
	}
	res.CaughtUp = wh.binlog
	return nil
}
