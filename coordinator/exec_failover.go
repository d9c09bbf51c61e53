package coordinator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// catchUp brings the new writer everything a reachable host has
// (failover.CatchUp): its relay log, then the hosts ahead of it — the
// state machine's Sources first, then every other host — and reports
// what only the old writer had when last seen.
func (e *sqlExecutors) catchUp(ctx context.Context, a fsm.CatchUp) error {
	if err := e.ownerIs(a.Host, "catch-up"); err != nil {
		return err
	}
	others := catchUpOthers(a, e.dbHosts())
	cs := e.openAll(ctx, append([]string{a.Host, a.Previous}, others...)...)
	defer cs.close()
	if cs.srv[a.Host] == nil {
		return fmt.Errorf("coordinator: catch-up %s: %w", a.Host, cs.errs[a.Host])
	}
	req := failover.CatchUpRequest{Candidate: e.node(cs, a.Host)}
	if a.Previous != "" {
		req.Previous = e.node(cs, a.Previous)
	}
	for _, h := range others {
		req.Others = append(req.Others, e.node(cs, h))
	}
	res, err := e.runner.CatchUp(ctx, req)
	switch {
	case errors.Is(err, failover.ErrCatchUpIncomplete):
		return fmt.Errorf("%w: %w; the writer stays closed (catchup_policy refuse): %s", ErrPermanent, err, res)
	case err != nil:
		return fmt.Errorf("coordinator: %w [%s]", err, res.Record)
	}
	var warn []string
	if res.PromoteAnyway {
		warn = append(warn, fmt.Sprintf("promoted without %s (catchup_policy promote)", res.Missing))
	}
	if lost := notCovered(a.Target, res.Applied); len(lost) > 0 {
		warn = append(warn, fmt.Sprintf("only the old writer had %s when last seen (lost unless it returns; its rejoin reports them as errant)", lost))
	}
	if len(warn) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrWarning, strings.Join(warn, "; "), res)
	}
	e.log.Info("caught up", "host", a.Host, "result", res.String())
	return nil
}

// catchUpOthers lists the hosts a catch-up asks besides the candidate and
// the old writer: the state machine's Sources first (the hosts it saw
// ahead), then the other db hosts in configuration order.
func catchUpOthers(a fsm.CatchUp, dbHosts []string) []string {
	out := unique(append(append([]string{}, a.Sources...), dbHosts...))
	for i := 0; i < len(out); {
		if out[i] == a.Host || out[i] == a.Previous {
			out = append(out[:i], out[i+1:]...)
			continue
		}
		i++
	}
	return out
}

// notCovered is what target has beyond applied, per stream (the state
// machine's summary positions: a MariaDB domain, a MySQL source UUID).
// The state machine's target merges every position it last saw, the old
// writer's included.
func notCovered(target fsm.Position, applied failover.Position) fsm.Position {
	if len(target) == 0 {
		return nil
	}
	have, err := fsm.ParsePosition(applied.String())
	if err != nil {
		return nil
	}
	var out fsm.Position
	for k, v := range target {
		if have[k] < v {
			if out == nil {
				out = fsm.Position{}
			}
			out[k] = v
		}
	}
	return out
}

// promote opens the new writer's MySQL for writes: failover.Promote for
// a handover (it stops replicating from the previous writer), and
// enableWrites when no previous writer is named.
func (e *sqlExecutors) promote(ctx context.Context, a fsm.Promote) error {
	if err := e.ownerIs(a.Host, "promote"); err != nil {
		return err
	}
	cs := e.openAll(ctx, a.Host)
	defer cs.close()
	if cs.srv[a.Host] == nil {
		return fmt.Errorf("coordinator: promote %s: %w", a.Host, cs.errs[a.Host])
	}
	if a.Previous == "" {
		return e.enableWrites(ctx, a.Host, cs.srv[a.Host])
	}
	res, err := e.runner.Promote(ctx, e.node(cs, a.Host))
	switch {
	case errors.Is(err, failover.ErrNotFailoverTarget):
		return fmt.Errorf("%w: %w [%s]", ErrPermanent, err, res.Record)
	case err != nil:
		return fmt.Errorf("coordinator: %w [%s]", err, res.Record)
	}
	e.log.Info("promoted", "host", a.Host, "result", res.String())
	return nil
}

// enableWrites opens the writer's MySQL without a handover — the
// startup's writer, or a writer its own side fenced (mmm-notify) while it
// kept the role: semisync master side on with the owned timeout (also on
// a writer that is already writable: my.cnf's timeout may be shorter
// than the self-fence), read_only=0, verified. Its replication from its
// peer (MMM's ring) stays: there is no previous writer whose late
// transactions it could pull in.
func (e *sqlExecutors) enableWrites(ctx context.Context, host string, srv sqlServer) error {
	rec, err := e.runner.EnableSemisyncMaster(ctx, failover.Node{Name: host, DB: srv})
	if err != nil && !errors.Is(err, dbctl.ErrNoSemisync) {
		return fmt.Errorf("coordinator: promote %s: %w [%s]", host, err, rec)
	}
	ro, err := srv.ReadOnly(ctx)
	if err != nil {
		return fmt.Errorf("coordinator: promote %s: %w", host, err)
	}
	if !ro.ReadOnly {
		return nil
	}
	if err := srv.SetReadOnly(ctx, false); err != nil {
		return fmt.Errorf("coordinator: promote %s: %w", host, err)
	}
	if ro, err = srv.ReadOnly(ctx); err != nil || ro.ReadOnly {
		return fmt.Errorf("coordinator: promote %s: read_only does not read back off (%v)", host, err)
	}
	e.log.Info("writes enabled", "host", host)
	return nil
}

// replicate makes host replicate from master with both threads running:
// a master (a recovered old writer, or the peer) through failover.Rejoin,
// which also sets read_only=1 and verifies it caught up; a replica
// through failover.Repoint. Errant transactions stop its replication
// (see the rules in exec_sql.go).
func (e *sqlExecutors) replicate(ctx context.Context, host, master string) error {
	if o := e.replica.Owner(); o == host {
		if h := e.cfg.Host(host); h == nil || h.Peer != master {
			return fmt.Errorf("%w: replicate %s from %s: it holds the writer role", ErrPermanent, host, master)
		}
		return e.closeRing(ctx, host, master)
	}
	cs := e.openRepair(ctx, host, master)
	defer cs.close()
	for _, h := range []string{host, master} {
		if cs.srv[h] == nil {
			return unansweredRepair(cs.errs[h], fmt.Sprintf("replicate %s from %s", host, master), "asked again when "+h+" is up")
		}
	}
	var err error
	var done fmt.Stringer
	if e.isMaster(host) {
		var res failover.RejoinResult
		res, err = e.runner.Rejoin(ctx, e.node(cs, host), e.node(cs, master))
		done = res
	} else {
		var res failover.RepointResult
		res, err = e.runner.Repoint(ctx, e.node(cs, host), e.node(cs, master))
		done = res
	}
	switch {
	case errors.Is(err, failover.ErrErrant):
		return e.refuseErrant(ctx, cs.srv[host], err, done)
	case errors.Is(err, failover.ErrNoSafePosition):
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	case err != nil:
		return fmt.Errorf("coordinator: %w [%s]", err, done)
	}
	e.log.Info("replicating", "host", host, "from", master, "result", done.String())
	return nil
}

// closeRing starts the writer's replication from its returning peer
// again (the state machine's ringNeed): first the peer is rejoined —
// read-only, no transaction the writer lacks (errant ones refuse it and
// stop its replication, as in replicate), caught up — and only then does
// the writer replicate from it, from the source it still has configured.
func (e *sqlExecutors) closeRing(ctx context.Context, writer, peer string) error {
	cs := e.openRepair(ctx, writer, peer)
	defer cs.close()
	for _, h := range []string{writer, peer} {
		if cs.srv[h] == nil {
			return unansweredRepair(cs.errs[h], fmt.Sprintf("replicate %s from %s", writer, peer), "asked again when "+h+" is up")
		}
	}
	res, err := e.runner.Rejoin(ctx, e.node(cs, peer), e.node(cs, writer))
	switch {
	case errors.Is(err, failover.ErrErrant):
		return e.refuseErrant(ctx, cs.srv[peer], err, res)
	case err != nil:
		return fmt.Errorf("coordinator: replicate %s from %s: the peer first: %w [%s]", writer, peer, err, res)
	}
	w, ph := cs.srv[writer], e.cfg.Host(peer)
	rs, err := w.ReplicaStatus(ctx)
	if err != nil {
		return fmt.Errorf("coordinator: replicate %s from %s: %w", writer, peer, err)
	}
	if rs.SourceHost != ph.IP.String() || rs.SourcePort != ph.MySQLPort {
		return fmt.Errorf("%w: replicate %s from %s: its source is %s:%d, left alone", ErrPermanent, writer, peer,
			rs.SourceHost, rs.SourcePort)
	}
	if rs.IO == dbctl.ThreadStopped {
		// A dump thread the peer kept for the writer from before a cut
		// would stall the peer when the writer reconnects (see
		// dbctl.KillDumpThreads).
		if _, err := cs.srv[peer].KillDumpThreads(ctx, e.cfg.Host(writer).IP.String()); err != nil {
			e.log.Warn("stale dump threads not ended", "host", peer, "for", writer, "err", err)
		}
	}
	for {
		if rs.Running() {
			e.log.Info("replicating from its peer again", "host", writer, "from", peer, "peer", res.String())
			return nil
		}
		if rs.IO == dbctl.ThreadStopped || rs.SQL == dbctl.ThreadStopped {
			if err := w.StartReplication(ctx, dbctl.BothThreads); err != nil {
				return fmt.Errorf("coordinator: replicate %s from %s: %w", writer, peer, err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("coordinator: replicate %s from %s: %w: IO %s (%s), SQL %s (%s)", writer, peer,
				failover.ErrNotRunning, rs.IO, rs.LastIOError, rs.SQL, rs.LastSQLError)
		case <-time.After(50 * time.Millisecond):
		}
		if rs, err = w.ReplicaStatus(ctx); err != nil {
			return fmt.Errorf("coordinator: replicate %s from %s: %w", writer, peer, err)
		}
	}
}

// refuseErrant stops the replication of a host with errant transactions
// and returns the permanent error that reports them.
func (e *sqlExecutors) refuseErrant(ctx context.Context, srv sqlServer, err error, done fmt.Stringer) error {
	stop := "replication stopped"
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if serr := srv.StopReplication(sctx, dbctl.BothThreads); serr != nil && !errors.Is(serr, dbctl.ErrNotReplica) {
		stop = "stopping its replication failed too: " + serr.Error()
	}
	return fmt.Errorf("%w: %w; %s so that it cannot become ONLINE: %s", ErrPermanent, err, stop, done)
}

// stopReplication stops host's replication (set_offline).
func (e *sqlExecutors) stopReplication(ctx context.Context, host string) error {
	cs := e.openRepair(ctx, host)
	defer cs.close()
	srv := cs.srv[host]
	if srv == nil {
		return unansweredRepair(cs.errs[host], "stop replication on "+host, "asked again when it is up")
	}
	if err := srv.StopReplication(ctx, dbctl.BothThreads); err != nil && !errors.Is(err, dbctl.ErrNotReplica) {
		return fmt.Errorf("coordinator: stop replication on %s: %w", host, err)
	}
	return nil
}
