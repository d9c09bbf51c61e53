package coordinator

import (
	"context"
	"sync"
	"time"
)

// peerStatus is what a coordinator tells a peer that asks (muxStatus).
type peerStatus struct {
	// Leaderless: this node knows no raft leader (node.leaderless).
	Leaderless bool
}

// The lease during an election.
//
// A coordinator closes its track file (and drops its reader VIPs) when it
// has not heard from a raft leader for the lease, so that a host cut off
// from the majority never keeps a writer: the leader takes a silent host
// as lost only after lostAfter(lease). But a leader's death also silences
// every follower until the next leader speaks — up to two heartbeat
// timeouts and a vote round, longer than a short lease — and the writer
// must not fence itself for that.
//
// So a coordinator without a leader asks its peers, every heartbeat
// timeout / 5, whether they know one. When a quorum of voters (itself
// included) answers "no leader", the time it asked renews its lease like
// a leader's heartbeat. Why that is safe: a peer that knows no leader has
// not heard from one for a heartbeat timeout, longer than raft's leader
// lease timeout, so the old leader has stepped down and commits nothing
// more; any later leader is elected after that answer, with a vote from
// that quorum, and a new leader counts a silent host's lease from the
// start of its term (contactBook.reset). It therefore takes this host as
// lost no earlier than the asking time + lostAfter(lease), after this
// host's lease (asking time + lease) has run out. A host cut off from
// its peers gets no answers and fences itself at the lease, as before.
func (c *Coordinator) confirmLeaderless(ctx context.Context) {
	interval := max(c.node.heartbeat/5, 20*time.Millisecond)
	quorum := len(c.peers)/2 + 1
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		state := c.node.stateChanged()
		wait := interval
		// raft's clock, not Options.Now: LastContact is wall-clock time.
		if now := time.Now(); c.node.isLeader() {
			wait = time.Minute // a state change wakes it
		} else if c.node.leaderless(now) {
			if c.askQuorum(ctx, interval, quorum) {
				c.log.Debug("a quorum knows no leader: lease renewed")
			}
		} else if base := c.node.raft.LastContact(); !base.IsZero() {
			// Asking matters only shortly before the lease runs out:
			// sleep until three questions before that (and at least until
			// this node would be leaderless). An idle follower wakes about
			// once per lease.
			lease := c.cfg.Coordinator.Lease
			wait = max(base.Add(max(c.node.heartbeat, lease-3*interval)).Sub(now)+time.Millisecond, interval)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-state:
		case <-timer.C:
		}
	}
}

// askQuorum asks every other voter for its status at once, each within
// limit, and renews the lease from the asking time when a quorum
// (counting this node) knows no leader.
func (c *Coordinator) askQuorum(ctx context.Context, limit time.Duration, quorum int) bool {
	asked := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var mu sync.Mutex
	yes := 1 // this node
	var wg sync.WaitGroup
	for _, p := range c.peers {
		if p.ID == c.host {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := c.askPeer(ctx, p)
			if err == nil && st.Leaderless {
				mu.Lock()
				yes++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if yes < quorum {
		return false
	}
	c.node.confirmed.Store(asked.UnixNano())
	return true
}

// askPeer asks one peer: over the raft port, or through Options.AskPeer.
func (c *Coordinator) askPeer(ctx context.Context, p Peer) (peerStatus, error) {
	if c.opts.AskPeer != nil {
		return c.opts.AskPeer(ctx, p.ID)
	}
	return askStatus(ctx, p.Address)
}

// status is this node's answer to a peer's question.
func (c *Coordinator) status() peerStatus {
	return peerStatus{Leaderless: c.node.leaderless(time.Now())}
}
