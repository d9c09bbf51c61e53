package coordinator

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// lostSlack puts the round that proposes a lost coordinator's
// Reachability just past lostAfter, so that it is not a hair early.
const lostSlack = 5 * time.Millisecond

// watchSilence runs beside the monitor while this node leads. When a
// follower's coordinator falls silent (the contact book's lapse, a few
// missed heartbeats), it probes that host's ping at once
// instead of at the next check period, and asks for a monitor round the
// moment the silence reaches lostAfter(lease). A coordinator silent that
// long has closed its own track file if it is alive at all, so a failed
// ping then means the host is lost (fsm: Reachability and ping) without
// waiting out trap_period: a dead host is decided about lostAfter(lease)
// after its last heartbeat instead of timeout + trap_period after the
// next check.
func (c *Coordinator) watchSilence(ctx context.Context, results chan<- hostRound, urgent, lost chan<- struct{}) {
	lapses := make(chan string, len(c.peers))
	c.node.contacts.setLapse(func(p string) {
		select {
		case lapses <- p:
		default:
		}
	})
	defer c.node.contacts.setLapse(nil)
	poke := func() {
		select {
		case urgent <- struct{}{}:
		default:
		}
	}
	lease := c.cfg.Coordinator.Lease
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		var p string
		select {
		case <-ctx.Done():
			return
		case p = <-lapses:
		}
		// The book lapses once per silence (an answer re-arms it), so
		// this runs once per silence too.
		last := c.node.peerSilentSince(p)
		if last.IsZero() || !slices.ContainsFunc(c.spec.Hosts, func(h fsm.HostSpec) bool { return h.Name == p }) {
			continue
		}
		c.log.Warn("a coordinator fell silent: probing its host now", "host", p,
			"silent", time.Since(last).Round(time.Millisecond), "lost_in", time.Until(last.Add(lostAfter(lease))).Round(time.Millisecond))
		// The round at lostAfter must not wait for the probe (a silent
		// coordinator alone moves the roles: agent down), nor be merged
		// into a round that began earlier (urgent coalesces). Firing after
		// the term ended is harmless: nobody reads lost any more.
		time.AfterFunc(time.Until(last.Add(lostAfter(lease)+lostSlack)), func() {
			select {
			case lost <- struct{}{}:
			default: // full: a round is due anyway
			}
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.probeChecks(ctx, p, []fsm.Check{fsm.CheckPing})
			select {
			case results <- r:
				poke()
			case <-ctx.Done():
			}
		}()
	}
}
