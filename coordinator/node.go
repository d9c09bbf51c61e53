package coordinator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// RaftTiming are raft's timeouts (the <coordinator> raft_* keys).
type RaftTiming struct {
	Heartbeat   time.Duration
	Election    time.Duration
	LeaderLease time.Duration
}

// Peer is one member of the raft group: its host name (the raft server
// id) and raft address.
type Peer struct {
	ID      string
	Address string
}

// Stores are raft's log, stable and snapshot stores.
type Stores struct {
	Logs   raft.LogStore
	Stable raft.StableStore
	Snaps  raft.SnapshotStore
	closer io.Closer
}

// InmemStores returns stores that live in memory (tests).
func InmemStores() Stores {
	s := raft.NewInmemStore()
	return Stores{Logs: s, Stable: s, Snaps: raft.NewInmemSnapshotStore()}
}

// OpenStores opens the durable stores under dir: raft.db (raft-boltdb,
// log and stable store) and snapshots/ (two snapshots kept). raft.db is
// read once from end to end first (checkRaftDB): one that bbolt cannot
// read fails with ErrCorruptStore instead of a panic in raft, and raft
// gets it behind guardedStore. The recovery is the error's text: move
// the data dir aside and start with an empty one; startNode then
// bootstraps the configured members again, which the group's leader
// answers with its log or a snapshot (TestRejoinWithEmptyDataDir).
func OpenStores(dir string, log *slog.Logger) (Stores, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Stores{}, fmt.Errorf("coordinator: data dir: %w", err)
	}
	path := filepath.Join(dir, raftDBName)
	ctx, cancel := context.WithTimeout(context.Background(), storeCheckBudget)
	defer cancel()
	start := time.Now()
	switch err := checkRaftDB(ctx, path, log); {
	case errors.Is(err, context.DeadlineExceeded):
		log.Warn("raft.db not read to the end within the budget; opening it unchecked", "path", path, "budget", storeCheckBudget)
	case err != nil:
		return Stores{}, err
	default:
		log.Debug("raft.db read and checked", "path", path, "took", time.Since(start))
	}
	db, err := openBoltStore(path)
	if err != nil {
		return Stores{}, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, newHCLogger(log, "snapshot"))
	if err != nil {
		db.Close()
		return Stores{}, fmt.Errorf("coordinator: snapshot store in %s: %w", dir, err)
	}
	g := &guardedStore{db: db, path: path, log: log}
	return Stores{Logs: g, Stable: g, Snaps: snaps, closer: db}, nil
}

// raftConfig builds raft's configuration: DefaultConfig, our timeouts,
// snapshots often enough that the log of a one-entry-per-second monitor
// stays small, and Validate.
func raftConfig(id string, t RaftTiming, log *slog.Logger) (*raft.Config, error) {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(id)
	if t.Heartbeat > 0 {
		c.HeartbeatTimeout = t.Heartbeat
	}
	if t.Election > 0 {
		c.ElectionTimeout = t.Election
	}
	if t.LeaderLease > 0 {
		c.LeaderLeaseTimeout = t.LeaderLease
	}
	// Followers learn a commit from the leader's next AppendEntries: the
	// next entry (the monitor proposes one per check period, and the
	// dispatcher flushes after a writer gate changed) or, without one,
	// after CommitTimeout..2×CommitTimeout. raft's default of 50 ms costs
	// 10-20 idle RPCs per second and follower; 500 ms keeps the idle
	// cost low (the footprint benchmark) at no cost to failover.
	c.CommitTimeout = 500 * time.Millisecond
	c.SnapshotThreshold = 1024
	c.TrailingLogs = 1024
	c.SnapshotInterval = 30 * time.Second
	c.Logger = newHCLogger(log, "raft")
	c.NoLegacyTelemetry = true
	if err := raft.ValidateConfig(c); err != nil {
		return nil, fmt.Errorf("%w: raft: %v", ErrConfig, err)
	}
	return c, nil
}

// node wraps the raft instance with what the coordinator asks of it.
type node struct {
	id    string
	raft  *raft.Raft
	trans raft.Transport
	st    Stores
	peers []Peer

	// replayed is the last log index present at start: entries up to it
	// are replayed history, not news (no event logging, no metrics).
	replayed uint64

	ledAt atomic.Int64 // unix nanoseconds when leaseOK last saw this node lead
	// confirmed is when (unix nanoseconds, before asking) a quorum of
	// voters last said they know no leader (quorum.go): as good as a
	// leader's heartbeat for the lease.
	confirmed atomic.Int64
	heartbeat time.Duration // raft's HeartbeatTimeout

	contacts *contactBook // leader only: when each follower last answered

	obsCh   chan raft.Observation
	obs     *raft.Observer
	mu      sync.Mutex
	leading bool          // the last observed raft state was Leader
	changed chan struct{} // closed and replaced when the state or leader changes
	stop    chan struct{}
}

// startNode starts raft and bootstraps the group from the configured
// members. Every node bootstraps with the same configuration: the first
// start writes it, later ones get raft.ErrCantBootstrap, which is
// expected and ignored.
func startNode(id string, peers []Peer, t RaftTiming, f raft.FSM, st Stores, trans raft.Transport, log *slog.Logger) (*node, error) {
	conf, err := raftConfig(id, t, log)
	if err != nil {
		return nil, err
	}
	tt, ok := trans.(tracedTransport)
	if !ok {
		return nil, fmt.Errorf("coordinator: raft transport %T does not support pre-vote", trans)
	}
	contacts := newContactBook(suspectAfter(conf.HeartbeatTimeout), wallContactClock{})
	trans = newContactTransport(tt, contacts)
	// The leader reads back every entry it sends: keep the recent ones in
	// memory instead of a bolt read transaction per AppendEntries.
	logs, err := raft.NewLogCache(256, st.Logs)
	if err != nil {
		return nil, fmt.Errorf("coordinator: raft log cache: %w", err)
	}
	r, err := raft.NewRaft(conf, f, logs, st.Stable, st.Snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("coordinator: raft: %w", err)
	}
	var servers []raft.Server
	for _, p := range peers {
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Address)})
	}
	if err := r.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		r.Shutdown()
		return nil, fmt.Errorf("coordinator: raft bootstrap: %w", err)
	}
	n := &node{id: id, raft: r, trans: trans, st: st, peers: peers, replayed: r.LastIndex(), contacts: contacts, heartbeat: conf.HeartbeatTimeout,
		obsCh: make(chan raft.Observation, 64), changed: make(chan struct{}), stop: make(chan struct{})}
	n.obs = raft.NewObserver(n.obsCh, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.RaftState, raft.LeaderObservation:
			return true
		}
		return false
	})
	r.RegisterObserver(n.obs)
	go n.watchContacts()
	return n, nil
}

// watchContacts starts and stops the contact book with each leadership
// term, notes when this node stopped leading (its lease runs from then),
// and wakes the waiters of stateChanged.
func (n *node) watchContacts() {
	for {
		select {
		case <-n.stop:
			n.contacts.stop()
			return
		case o := <-n.obsCh:
			n.mu.Lock()
			switch d := o.Data.(type) {
			case raft.RaftState:
				switch {
				case d == raft.Leader && !n.leading:
					n.contacts.reset(n.others())
				case d != raft.Leader:
					n.contacts.stop()
					if n.leading {
						n.ledAt.Store(time.Now().UnixNano())
					}
				}
				n.leading = d == raft.Leader
				close(n.changed)
				n.changed = make(chan struct{})
			case raft.LeaderObservation:
				close(n.changed)
				n.changed = make(chan struct{})
			}
			n.mu.Unlock()
		}
	}
}

// stateChanged returns a channel closed when this node's raft state or
// the leader it knows changes next.
func (n *node) stateChanged() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.changed
}

// leaseExpiry returns when this node's lease runs out if no leader speaks
// up meanwhile (zero on the leader: it holds the lease while it leads).
func (n *node) leaseExpiry(lease time.Duration) time.Time {
	if n.raft.State() == raft.Leader {
		return time.Time{}
	}
	return n.leaseBase().Add(lease)
}

// leaseBase is when this node's lease was last renewed: raft's
// LastContact (the last message from a leader, or a vote granted), the
// last time it was seen leading, or the last confirmation that a quorum
// knows no leader, whichever is newest.
func (n *node) leaseBase() time.Time {
	last := n.raft.LastContact()
	for _, ns := range []int64{n.ledAt.Load(), n.confirmed.Load()} {
		if t := time.Unix(0, ns); ns != 0 && t.After(last) {
			last = t
		}
	}
	return last
}

// leaderless reports whether this node knows no leader: a candidate, or
// a follower that has not heard from one within the heartbeat timeout
// (the bound hashicorp/raft uses to refuse votes "since we have a
// leader").
func (n *node) leaderless(now time.Time) bool {
	switch n.raft.State() {
	case raft.Candidate:
		return true
	case raft.Follower:
		return now.Sub(n.raft.LastContact()) > n.heartbeat
	}
	return false
}

// others returns the ids of the other members.
func (n *node) others() []string {
	var out []string
	for _, p := range n.peers {
		if p.ID != n.id {
			out = append(out, p.ID)
		}
	}
	return out
}

// peerReachable reports whether the leader has heard from peer within
// `within` (on the leader; elsewhere every peer counts as reachable).
func (n *node) peerReachable(peer string, now time.Time, within time.Duration) bool {
	last := n.peerSilentSince(peer)
	return last.IsZero() || now.Sub(last) <= within
}

// peerAnswered reports whether peer has answered this leader in its
// term (contactBook.answered); false when not leading.
func (n *node) peerAnswered(peer string) bool {
	if peer == n.id {
		return true
	}
	return n.isLeader() && n.contacts.answered(peer)
}

// peerSilentSince returns when the leader last heard from peer (zero
// when unknown: not leading, or no term started yet).
func (n *node) peerSilentSince(peer string) time.Time {
	if peer == n.id || !n.isLeader() {
		return time.Time{}
	}
	return n.contacts.lastContact(peer)
}

// suspectAfter is how long a follower may be silent before the leader
// looks at its host at once: four heartbeat intervals (raft sends one
// every HeartbeatTimeout/10 to HeartbeatTimeout/5).
func suspectAfter(heartbeat time.Duration) time.Duration {
	return max(heartbeat/10*4, 20*time.Millisecond)
}

// lostAfter is how long the leader waits, after a follower's last answer,
// before it treats the host as gone: the lease, which the follower's own
// coordinator measures from the same heartbeat or later and then closes
// its track file, plus a quarter for keepalived and mmm-notify to fence
// its MySQL (tens of milliseconds measured) and for clock rates.
func lostAfter(lease time.Duration) time.Duration { return lease + lease/4 }

// isLeader reports whether this node is the raft leader.
func (n *node) isLeader() bool { return n.raft.State() == raft.Leader }

// leader returns the leader's id and address ("" when unknown).
func (n *node) leader() (id, addr string) {
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// leaseOK reports whether this node has been in contact with a leader
// within lease. On the leader it is always true: raft steps a leader
// down after LeaderLeaseTimeout without a quorum, well within the lease.
// On a follower or candidate it is raft's LastContact (the last message from a
// leader) or the last time this node was seen leading, whichever is
// newer: a leader that steps down (a leadership transfer) keeps its
// lease until the new leader's first heartbeat instead of dropping it
// because its own LastContact is as old as its leadership.
func (n *node) leaseOK(now time.Time, lease time.Duration) bool {
	switch n.raft.State() {
	case raft.Leader:
		n.ledAt.Store(now.UnixNano())
		return true
	case raft.Follower, raft.Candidate:
		// A candidate keeps its lease too: an election after the
		// leader's death must not take the writer's eligibility away.
		last := n.leaseBase()
		return !last.IsZero() && now.Sub(last) < lease
	}
	return false
}

// apply commits data through raft and waits until this node applied it.
// It fails with ErrNotLeader on a follower.
func (n *node) apply(ctx context.Context, data []byte) (applyResult, error) {
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return applyResult{}, context.DeadlineExceeded
	}
	f := n.raft.Apply(data, timeout)
	err := waitFuture(ctx, f)
	switch {
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return applyResult{}, err
	case errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost):
		return applyResult{}, fmt.Errorf("%w: %v", ErrNotLeader, err)
	case err != nil:
		return applyResult{}, fmt.Errorf("coordinator: raft apply: %w", err)
	}
	res, _ := f.Response().(applyResult)
	return res, res.Err
}

// barrier waits until this node's state machine has applied every entry
// before the call (raft's Barrier). A new leader inherits entries that
// the old one committed but it has not applied yet: it learns their
// commit only once an entry of its own term commits.
func (n *node) barrier(ctx context.Context) error {
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	err := waitFuture(ctx, n.raft.Barrier(timeout))
	if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
		return fmt.Errorf("%w: %v", ErrNotLeader, err)
	}
	return err
}

// waitFuture waits for a raft future or the end of ctx, whichever comes
// first (raft's futures take no context; the waiting goroutine ends
// with the future, which raft bounds).
func waitFuture(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-done:
		return err
	}
}

// shutdown stops raft and closes the stores.
func (n *node) shutdown() error {
	close(n.stop)
	n.raft.DeregisterObserver(n.obs)
	err := n.raft.Shutdown().Error()
	if c, ok := n.trans.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	if n.st.closer != nil {
		err = errors.Join(err, n.st.closer.Close())
	}
	return err
}
