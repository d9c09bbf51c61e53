package coordinator

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Options configure a Coordinator.
type Options struct {
	Config *config.Config
	// Host is this coordinator's host name; default Config.This.
	Host string
	// Witness: no MySQL, no VIPs, no track file (also implied by a host
	// of mode witness).
	Witness bool
	Logger  *slog.Logger
	// Prober runs MMM's checks on the leader (the checks package).
	Prober Prober
	// Inspector reads read_only, replication and GTID of every host on
	// the leader; nil: none (NewSQLInspector is the real one).
	Inspector Inspector
	// Executors by action kind. CloseWriter and OpenWriter are built in
	// (the writer gates); a kind without one is recorded as skipped.
	Executors map[string]Executor
	// ExecuteSQL installs the leader's SQL executors (exec_sql.go) for
	// every kind Executors leaves out.
	ExecuteSQL bool
	// ReaderVIPs opens this host's vip_interface (DialReaderVIPs): the
	// node then applies its share of the reader roles (readervips.go).
	// nil: reader VIPs are left alone.
	ReaderVIPs VIPDialer
	Retry      RetryPolicy
	// Metrics receives the coordinator's collectors; nil: a new registry.
	Metrics *Metrics
	// LeadershipTransfer keeps the raft leadership off the writer host,
	// so that the writer host's death does not also cost an election.
	LeadershipTransfer bool

	// Test seams; nil means the real thing.
	Transport raft.Transport // default: TCP on the host's raft_address
	Stores    *Stores        // default: raft-boltdb and snapshots under data_dir
	// Send delivers a report to the leader and returns its applied
	// index; default: over the raft port.
	Send func(ctx context.Context, leaderID, leaderAddr string, r Report) (uint64, error)
	// AskPeer asks a peer whether it knows a raft leader (quorum.go);
	// default: over the raft port.
	AskPeer func(ctx context.Context, peer string) (peerStatus, error)
	Now     func() time.Time
	Uptime  func() (float64, error)     // default: /proc/uptime
	VIPs    func() ([]netip.Addr, bool) // default: role IPs on vip_interface
}

// Coordinator is one member of the coordinators' raft group.
type Coordinator struct {
	opts      Options
	cfg       *config.Config
	host      string
	witness   bool
	trackFile string
	log       *slog.Logger
	spec      fsm.Spec
	peers     []Peer
	execs     map[string]Executor
	sql       *sqlExecutors // nil without ExecuteSQL

	live liveness // for the watchdog (Stalled)

	replica  *Replica
	node     *node
	listener *peerListener
	client   reportClient
	book     *reportBook
	fresh    *freshness
	local    *local
	readers  *readerVIPs // nil: reader VIPs are not applied here
	metrics  *Metrics
	timingP  atomic.Pointer[Timing]

	leading  atomic.Bool
	replayed atomic.Uint64

	obsMu sync.Mutex
	obs   map[string]api.HostObs // the leader's latest inspection per host

	lastWriter string // metrics: the last non-empty writer (failovers)
}

// New builds a coordinator and starts its raft node (bootstrapping the
// group from the configuration on first start). Run runs it.
func New(opts Options) (*Coordinator, error) {
	cfg := opts.Config
	if cfg == nil {
		return nil, fmt.Errorf("%w: no configuration", ErrConfig)
	}
	if opts.Host == "" {
		opts.Host = cfg.This
	}
	h := cfg.Host(opts.Host)
	if h == nil {
		return nil, fmt.Errorf("%w: host %q is not in the configuration", ErrConfig, opts.Host)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Coordinator{opts: opts, cfg: cfg, host: h.Name, witness: opts.Witness || h.Mode == config.HostModeWitness,
		trackFile: h.TrackFile, log: opts.Logger, spec: fsm.SpecFromConfig(cfg), book: newReportBook(), fresh: newFreshness(),
		obs: map[string]api.HostObs{}, metrics: opts.Metrics}
	if c.metrics == nil {
		c.metrics = NewMetrics()
	}
	c.timingP.Store(TimingFromConfig(cfg))
	c.replayed.Store(math.MaxUint64)
	for _, name := range cfg.Coordinator.RaftPeers {
		p := cfg.Host(name)
		if p == nil {
			return nil, fmt.Errorf("%w: raft peer %q is not a host", ErrConfig, name)
		}
		c.peers = append(c.peers, Peer{ID: p.Name, Address: p.RaftAddress})
	}
	if !c.isPeer(c.host) {
		return nil, fmt.Errorf("%w: host %q is not one of raft_peers %v", ErrConfig, c.host, cfg.Coordinator.RaftPeers)
	}
	var err error
	c.replica, err = NewReplica(c.spec, cfg.Coordinator.HistorySize, c.hooks())
	if err != nil {
		return nil, err
	}
	c.execs = map[string]Executor{}
	if opts.ExecuteSQL {
		sx, err := newSQLExecutors(cfg, c.replica, c.log)
		if err != nil {
			return nil, err
		}
		sx.selfFenced = c.book.selfFenced
		maps.Copy(c.execs, sx.executors())
		c.sql = sx
	}
	for k, e := range opts.Executors {
		c.execs[k] = e
	}
	c.execs[KindOpenWriter] = gateExecutor{c.replica}
	c.execs[KindCloseWriter] = gateExecutor{c.replica}
	c.local = newLocal(c)
	c.readers = newReaderVIPs(c)

	st := InmemStores()
	if opts.Stores != nil {
		st = *opts.Stores
	} else if st, err = OpenStores(h.DataDir, c.log); err != nil {
		return nil, err
	}
	trans := opts.Transport
	if trans == nil {
		c.listener, err = listenPeers(h.RaftAddress, c.handleReport, c.log)
		if err != nil {
			closeStores(st)
			return nil, err
		}
		trans = newTCPTransport(c.listener, c.log)
	}
	c.node, err = startNode(c.host, c.peers, RaftTiming{
		Heartbeat: cfg.Coordinator.RaftHeartbeatTimeout, Election: cfg.Coordinator.RaftElectionTimeout,
		LeaderLease: cfg.Coordinator.RaftLeaderLeaseTimeout}, c.replica, st, trans, c.log)
	if err != nil {
		if c.listener != nil {
			c.listener.Close()
		}
		closeStores(st)
		return nil, err
	}
	if c.listener != nil {
		c.listener.setStatus(c.status)
	}
	c.replayed.Store(c.node.replayed)
	c.metrics.attach(c)
	return c, nil
}

func closeStores(st Stores) {
	if st.closer != nil {
		st.closer.Close()
	}
}

// Run runs the coordinator until ctx ends, then shuts it down: the track
// file is closed first, a leadership is handed over (handOff), then raft
// stops. It returns raft's shutdown error.
func (c *Coordinator) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	run := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	run(c.watchLeadership)
	run(c.confirmLeaderless)
	run(c.local.runTrack)
	run(c.local.runReports)
	if !c.witness {
		run(c.watchMySQL)
		run(c.watchFifo)
	}
	if c.readers != nil {
		run(c.readers.run)
	}
	<-ctx.Done()
	wg.Wait() // the monitor stopped and the track file closed first
	c.handOff()
	c.client.Close()
	if c.opts.Inspector != nil {
		if cl, ok := c.opts.Inspector.(interface{ Close() error }); ok {
			cl.Close()
		}
	}
	return c.node.shutdown()
}

// watchLeadership runs the monitor while this node leads. raft's
// LeaderCh may drop signals, so the state is also polled (every second:
// a dropped signal is rare, an idle wake-up is not free).
func (c *Coordinator) watchLeadership(ctx context.Context) {
	var run *leaderRun
	stop := func() {
		if run != nil {
			run.stop()
			run = nil
			c.leading.Store(false)
		}
	}
	defer stop()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if run != nil && run.finished() {
			stop() // lead gave up by itself; start again if still leading
		}
		switch leader := c.node.isLeader(); {
		case leader && run == nil:
			c.leading.Store(true)
			run = startLeaderRun(ctx, c.lead)
		case !leader:
			stop()
		}
		select {
		case <-ctx.Done():
			return
		case <-c.node.raft.LeaderCh():
		case <-t.C:
		}
	}
}

// leaderRun is one term's monitor goroutine.
type leaderRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startLeaderRun(ctx context.Context, f func(context.Context)) *leaderRun {
	ctx, cancel := context.WithCancel(ctx)
	r := &leaderRun{cancel: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); f(ctx) }()
	return r
}

func (r *leaderRun) stop() {
	r.cancel()
	<-r.done
}

func (r *leaderRun) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// transferGap spaces leadership transfers. A writer host that also
// leads costs a host death an election (0.5-1 s) on top of the lease, so
// a failover that made the leader's host the writer is followed by a
// transfer soon; the gap only keeps a cluster that cannot settle from
// bouncing leadership around.
const transferGap = 10 * time.Second

// maybeTransfer hands the raft leadership to another reachable member
// when this node's host is the writer (Options.LeadershipTransfer), no
// action is pending and the last attempt is transferGap ago. Hosts that cannot
// be writer are preferred.
func (c *Coordinator) maybeTransfer(v View, last time.Time) bool {
	if !c.opts.LeadershipTransfer || len(v.Pending) > 0 || c.now().Sub(last) < transferGap {
		return false
	}
	if c.spec.ActiveMasterRole == "" || v.State.Owner(c.spec.ActiveMasterRole) != c.host {
		return false
	}
	target := c.transferTarget(c.host)
	if target == nil {
		return false
	}
	c.log.Info("handing the raft leadership away from the writer host", "to", target.ID)
	go func() {
		if err := c.node.raft.LeadershipTransferToServer(raft.ServerID(target.ID), raft.ServerAddress(target.Address)).Error(); err != nil {
			c.log.Warn("leadership transfer failed", "to", target.ID, "err", err)
		}
	}()
	return true
}

// transferTarget picks the member to hand the leadership to: a reachable
// one, preferably a host that cannot be writer, then one that is not the
// writer now (the writer host's death should not cost an election too).
// nil: none is reachable.
func (c *Coordinator) transferTarget(writer string) *Peer {
	rank := func(host string) int {
		switch {
		case !c.canBeWriter(host):
			return 0
		case host != writer:
			return 1
		}
		return 2
	}
	var best *Peer
	for i, p := range c.peers {
		if p.ID == c.host || !c.node.peerReachable(p.ID, c.now(), c.cfg.Coordinator.Lease/4) {
			continue
		}
		if best == nil || rank(p.ID) < rank(best.ID) {
			best = &c.peers[i]
		}
	}
	return best
}

// handOff, at shutdown, hands a leadership this node holds to another
// member, so that a planned stop (an upgrade, a restart) costs the
// cluster no election: the others would wait a heartbeat timeout or two
// before electing, with no monitor meanwhile. Bounded by handOffTimeout;
// a failed handoff only means that election.
func (c *Coordinator) handOff() {
	if !c.opts.LeadershipTransfer || !c.node.isLeader() {
		return
	}
	writer := ""
	if c.spec.ActiveMasterRole != "" {
		v := c.replica.View()
		writer = v.State.Owner(c.spec.ActiveMasterRole)
	}
	target := c.transferTarget(writer)
	if target == nil {
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), handOffTimeout)
	defer cancel()
	f := c.node.raft.LeadershipTransferToServer(raft.ServerID(target.ID), raft.ServerAddress(target.Address))
	if err := waitFuture(ctx, f); err != nil {
		c.log.Warn("handing the leadership over at shutdown failed", "to", target.ID, "err", err)
		return
	}
	c.log.Info("handed the leadership over at shutdown", "to", target.ID, "took", time.Since(start).Round(time.Millisecond))
}

// handOffTimeout bounds the handoff so that SIGTERM still ends within
// 5 s, the coordinator's shutdown budget (systemd's stop timeout is
// longer).
const handOffTimeout = 2 * time.Second

func (c *Coordinator) canBeWriter(host string) bool {
	if r := c.cfg.WriterRole(); r != nil {
		for _, h := range r.Hosts {
			if h == host {
				return true
			}
		}
	}
	return false
}

func (c *Coordinator) isPeer(host string) bool {
	for _, p := range c.peers {
		if p.ID == host {
			return true
		}
	}
	return false
}

// handleReport takes a report from a coordinator (the leader only): it
// is kept for the next round, and an urgent one is proposed at once.
//
// It answers with the raft index this leader has applied, which a stale
// reporter must reach before it acts on its state (freshness).
func (c *Coordinator) handleReport(ctx context.Context, r Report) (uint64, error) {
	if !c.node.isLeader() {
		return 0, ErrNotLeader
	}
	applied := c.replica.Applied()
	known := false
	for _, h := range c.spec.Hosts {
		known = known || h.Name == r.Host
	}
	if !known {
		return 0, fmt.Errorf("%w: report from unknown host %q", ErrConfig, r.Host)
	}
	c.book.put(r)
	if !r.Urgent || !c.replica.Started() {
		return applied, nil
	}
	v := c.replica.View()
	in := c.book.inputs(&v.State, r.Host, true)
	if len(in) == 0 {
		return applied, nil
	}
	return applied, c.propose(ctx, in)
}

// sendReport delivers this host's report to the leader (itself included)
// and gives the leader's applied index to freshness.
func (c *Coordinator) sendReport(ctx context.Context, r Report) error {
	id, addr := c.node.leader()
	var applied uint64
	var err error
	switch {
	case id == "":
		return ErrNoLeader
	case id == c.host:
		applied, err = c.handleReport(ctx, r)
	case c.opts.Send != nil:
		applied, err = c.opts.Send(ctx, id, addr, r)
	default:
		applied, err = c.client.Send(ctx, addr, r)
	}
	if err == nil {
		c.fresh.answered(applied)
	}
	return err
}

// trusted reports whether this node may act on its applied state now:
// within its lease and fresh (freshness). why says why not. A stale node
// in contact with a leader asks for its answer at once.
func (c *Coordinator) trusted(now time.Time) (ok bool, why string) {
	lease := c.cfg.Coordinator.Lease
	if !c.node.leaseOK(now, lease) {
		c.fresh.lapse()
		return false, fmt.Sprintf("no contact with a raft leader for longer than the lease (%v)", lease)
	}
	fresh, ask := c.fresh.current(c.replica.Applied())
	if ask {
		c.local.kick()
	}
	if !fresh {
		return false, "this node has not caught up with the leader since it lost contact or started"
	}
	return true, ""
}

// Reload applies what can change safely at run time: the check timings.
func (c *Coordinator) Reload(cfg *config.Config) {
	c.timingP.Store(TimingFromConfig(cfg))
}

func (c *Coordinator) timing() *Timing { return c.timingP.Load() }

func (c *Coordinator) now() time.Time {
	if c.opts.Now != nil {
		return c.opts.Now()
	}
	return time.Now()
}

func (c *Coordinator) uptime() (float64, error) {
	if c.opts.Uptime != nil {
		return c.opts.Uptime()
	}
	return hostUptime()
}

func (c *Coordinator) vips() ([]netip.Addr, bool) {
	if c.opts.VIPs != nil {
		return c.opts.VIPs()
	}
	h := c.cfg.Host(c.host)
	var ips []netip.Addr
	for _, r := range c.cfg.Roles {
		ips = append(ips, r.IPs...)
	}
	return interfaceVIPs(h.VIPInterface, ips)
}

// observations copies the leader's latest inspection of every host.
func (c *Coordinator) observations() map[string]api.HostObs {
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	return maps.Clone(c.obs)
}

// semisyncKeeper returns the leader's keeper of the semisync layout, or
// nil when this coordinator runs no SQL.
func (c *Coordinator) semisyncKeeper() *semisyncKeeper {
	if c.sql == nil {
		return nil
	}
	return &semisyncKeeper{log: c.log.With("component", "semisync"), now: c.now,
		owned: c.cfg.Coordinator.SemisyncTimeout(), hosts: c.sql.dbHosts(), obs: c.observations,
		view: func() (fsm.State, string) {
			// The owner from the same copy of the state, not a later one.
			st := c.replica.View().State
			if c.spec.ActiveMasterRole == "" {
				return st, ""
			}
			return st, st.Owner(c.spec.ActiveMasterRole)
		},
		fix: c.sql.fixSemisync, last: map[string]time.Time{}}
}

func (c *Coordinator) setObs(o api.HostObs) {
	c.obsMu.Lock()
	defer c.obsMu.Unlock()
	c.obs[o.Host] = o
}

// IsLeader reports whether this coordinator is the raft leader.
func (c *Coordinator) IsLeader() bool { return c.node.isLeader() }

// Leader returns the leader's host name, "" when none is known.
func (c *Coordinator) Leader() string {
	id, _ := c.node.leader()
	return id
}

// Replica gives read access to the replicated state.
func (c *Coordinator) Replica() *Replica { return c.replica }

// Host is this coordinator's host name.
func (c *Coordinator) Host() string { return c.host }

// hooks log the state machine's events on the leader and count actions
// and failovers, for entries that are news (not replayed at start).
func (c *Coordinator) hooks() Hooks {
	fresh := func(index uint64) bool { return index > c.replayed.Load() }
	return Hooks{
		Event: func(index uint64, at time.Time, ev fsm.Event) {
			if fresh(index) && c.leading.Load() {
				c.log.Log(context.Background(), ev.Level.Slog(), ev.Text, "component", "mmm")
			}
		},
		Result: func(index uint64, p PendingAction, r ActionResult) {
			if fresh(index) {
				c.metrics.countAction(p.Kind, r.Outcome)
			}
		},
		Writer: func(index uint64, from, to string) {
			if to == "" {
				return
			}
			if fresh(index) && c.lastWriter != "" && c.lastWriter != to {
				c.metrics.countFailover()
			}
			c.lastWriter = to
		},
	}
}
