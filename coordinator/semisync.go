package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/failover"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// semisyncSettle is how long the keeper leaves a host alone after it
// acted on it: the leader's inspection reads semisync every
// semisyncEvery, and a reading taken before the change must not bring it
// back.
const semisyncSettle = 3 * semisyncEvery

// semisyncDrift is one host whose semisync differs from the layout the
// coordinator keeps.
type semisyncDrift struct {
	Host   string
	Writer bool   // wants the master side on with the owned timeout
	Why    string // what differs, for the log
}

// semisyncDrifts compares the leader's latest inspections with the
// layout the coordinator keeps, whatever each server's my.cnf says (MMM
// could not manage semisync, so its users enable both sides on both
// masters):
//   - the writer (role owner, ONLINE, writable): master side on with the
//     owned timeout (lease + fence_timeout + 1 s), so that a cut-off
//     writer is fenced before it may acknowledge a commit alone;
//   - every other host: master side off (a passive master applying the
//     writer's events through the ring would wait for an ACK on each,
//     and a promotion after the writer died waited the timeout in STOP
//     SLAVE), replica side on, and active while its IO thread runs from
//     the writer (it acknowledges the writer's commits).
//
// Hosts without a semisync reading (unreachable, no plugin) and
// HARD_OFFLINE ones (the executors do not dial them; the rejoin sets
// their layout) are left out. owned 0: the timeout is not compared.
func semisyncDrifts(st *fsm.State, owner string, hosts []string, obs map[string]api.HostObs, owned time.Duration) []semisyncDrift {
	var out []semisyncDrift
	for _, h := range hosts {
		o, ok := obs[h]
		if !ok || !o.Reachable || o.SemisyncMaster == nil {
			continue
		}
		hs := st.Host(h)
		if hs != nil && hs.State == fsm.StateHardOffline {
			continue // not dialled; its rejoin sets the layout
		}
		if h == owner {
			if hs == nil || hs.State != fsm.StateOnline || o.ReadOnly == nil || *o.ReadOnly {
				continue // not open for writes: Promote sets it when it opens
			}
			switch {
			case !*o.SemisyncMaster:
				out = append(out, semisyncDrift{Host: h, Writer: true, Why: "master side off on the writer"})
			case !failover.SemisyncTimeoutKept(o.SemisyncTimeout, owned):
				out = append(out, semisyncDrift{Host: h, Writer: true,
					Why: fmt.Sprintf("master side timeout %v on the writer, not %v", o.SemisyncTimeout, owned)})
			}
			continue
		}
		switch {
		case *o.SemisyncMaster:
			out = append(out, semisyncDrift{Host: h, Why: "master side on, not the writer"})
		case o.SemisyncReplica != nil && !*o.SemisyncReplica:
			out = append(out, semisyncDrift{Host: h, Why: "replica side off"})
		case owner != "" && o.Master == owner && o.IORunning == "Yes" &&
			o.SemisyncReplicaOn != nil && !*o.SemisyncReplicaOn:
			out = append(out, semisyncDrift{Host: h, Why: "replica side not active: its IO thread connected before it was on"})
		}
	}
	return out
}

// semisyncKeeper runs on the leader's dispatcher while no action is
// pending (so never beside a promotion it could undo): it restores the
// layout of semisyncDrifts, after a failover, a switchover, a rejoin or
// a restart from a my.cnf that enables more.
type semisyncKeeper struct {
	log   *slog.Logger
	now   func() time.Time
	owned time.Duration
	hosts []string
	obs   func() map[string]api.HostObs
	view  func() (fsm.State, string) // committed state, role owner
	// fix brings one host to the layout; a seam for tests.
	fix  func(ctx context.Context, d semisyncDrift) (failover.Record, error)
	last map[string]time.Time // when fix last ran per host
}

// run fixes every drift not fixed within semisyncSettle.
func (k *semisyncKeeper) run(ctx context.Context) {
	st, owner := k.view()
	if !st.Started {
		return
	}
	for _, d := range semisyncDrifts(&st, owner, k.hosts, k.obs(), k.owned) {
		now := k.now()
		if t, ok := k.last[d.Host]; ok && now.Sub(t) < semisyncSettle && !now.Before(t) {
			continue
		}
		k.last[d.Host] = now
		rec, err := k.fix(ctx, d)
		switch {
		case errors.Is(err, dbctl.ErrNoSemisync):
		case err == nil && len(rec.Steps) == 0:
			// the reading was older than the change (a promotion)
		case err != nil:
			k.log.Warn("semisync layout not restored", "host", d.Host, "drift", d.Why, "err", err, "steps", rec.String())
		default:
			k.log.Info("semisync layout restored", "host", d.Host, "drift", d.Why, "steps", rec.String())
		}
	}
}

// fixSemisync brings host to the layout over its agent account, the
// role owner checked again first.
func (e *sqlExecutors) fixSemisync(ctx context.Context, d semisyncDrift) (failover.Record, error) {
	if (e.replica.Owner() == d.Host) != d.Writer {
		return failover.Record{}, fmt.Errorf("coordinator: semisync on %s: the writer role moved", d.Host)
	}
	cs := e.openAll(ctx, d.Host)
	defer cs.close()
	if cs.srv[d.Host] == nil {
		return failover.Record{}, fmt.Errorf("coordinator: semisync on %s: %w", d.Host, cs.errs[d.Host])
	}
	n := e.node(cs, d.Host)
	if d.Writer {
		return e.runner.SemisyncWriter(ctx, n)
	}
	return e.runner.SemisyncNonWriter(ctx, n)
}
