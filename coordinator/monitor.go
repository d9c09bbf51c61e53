package coordinator

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// hostRound is one host's probe results of one round.
type hostRound struct {
	host   string
	inputs []fsm.Input
}

// lead is the active monitor (MMM's main loop, made concurrent): it runs
// while this node is the raft leader and returns when ctx ends
// (leadership lost, shutdown). Every host is probed by its own goroutine,
// each check bounded by its own deadline, so a hung host never delays the
// others (in MMM it held up the checks of every host). Each check period
// the results that came in, the hosts' own reports and raft's view of
// who is reachable go into ONE raft entry; with nothing to say, a Tick.
// The pending actions are executed beside it by the dispatcher.
func (c *Coordinator) lead(ctx context.Context) {
	c.log.Info("leading: starting the monitor")
	defer c.log.Info("no longer leading: monitor stopped")
	// The monitor and the dispatcher read the replicated state: first
	// apply what the old leader committed (its last commands, finished
	// actions), so that nothing is decided, filtered or run again on a
	// state one entry behind. On failure watchLeadership starts over.
	bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := c.node.barrier(bctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, ErrNotLeader) {
			c.log.Error("catching up with the inherited log", "err", err)
		}
		return
	}
	c.book.forget()
	var wg sync.WaitGroup
	defer wg.Wait()
	d := &dispatcher{node: c.node, replica: c.replica, execs: c.execs, policy: c.opts.Retry.withDefaults(),
		log: c.log.With("component", "executor"), now: c.now, warned: map[string]bool{}}
	if k := c.semisyncKeeper(); k != nil {
		d.idle = k.run
	}
	wg.Add(1)
	go func() { defer wg.Done(); d.run(ctx) }()

	// Reports of the other hosts reach a new leader within one period;
	// MMM's startup decision wants them (keepalived state, VIPs).
	if !c.replica.Started() {
		if err := c.startup(ctx); err != nil {
			if !errors.Is(err, ErrNotLeader) && ctx.Err() == nil {
				c.log.Error("startup round", "err", err)
			}
			return
		}
	}
	results := make(chan hostRound, 4*len(c.spec.Hosts))
	for _, h := range c.spec.Hosts {
		wg.Add(1)
		go func() { defer wg.Done(); c.probeLoop(ctx, h.Name, results) }()
	}
	urgent, lost := make(chan struct{}, 1), make(chan struct{}, len(c.peers))
	wg.Add(1)
	go func() { defer wg.Done(); c.watchSilence(ctx, results, urgent, lost) }()
	tick := time.NewTicker(c.timing().base())
	defer tick.Stop()
	// The first leadership transfer may come 5 s into the term, later
	// ones transferGap apart (maybeTransfer).
	lastTransfer := c.now().Add(5*time.Second - transferGap)
	c.live.beat(&c.live.monitor, c.now())
	defer c.live.monitor.Store(0)
	// held: results received since the last round. A result that moves
	// a check's trap (a first failure, a failure while the trap runs, a
	// recovery) is proposed at once with them: trap_period then runs from
	// when the check failed, as in MMM, not from the next round a period
	// later. The others wait for the round.
	var held []fsm.Input
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-urgent:
		case <-lost:
		case r := <-results:
			held = append(held, r.inputs...)
			if view := c.replica.View(); !slices.ContainsFunc(r.inputs, func(x fsm.Input) bool { return movesTrap(&view.State, x) }) {
				continue
			}
		}
		tick.Reset(c.timing().base())
		in := held
		held = nil
		for drained := false; !drained; {
			select {
			case r := <-results:
				in = append(in, r.inputs...)
			default:
				drained = true
			}
		}
		view := c.replica.View()
		in = novel(&view.State, in)
		in = append(in, c.book.inputs(&view.State, "", false)...)
		in = append(in, c.reachability(&view.State)...)
		if len(in) == 0 {
			in = []fsm.Input{fsm.Tick{}}
		}
		if err := c.propose(ctx, in); err != nil {
			if errors.Is(err, ErrNotLeader) || ctx.Err() != nil {
				return
			}
			c.log.Error("proposing a monitor round", "err", err)
		}
		if c.maybeTransfer(view, lastTransfer) {
			lastTransfer = c.now()
		}
		c.live.beat(&c.live.monitor, c.now())
	}
}

// startup runs MMM's initial checks against every host at once,
// waits one period for the hosts' reports, and commits the results with
// Start in one entry.
func (c *Coordinator) startup(ctx context.Context) error {
	t := c.timing()
	wait := time.NewTimer(t.base())
	defer wait.Stop()
	var mu sync.Mutex
	var in []fsm.Input
	var wg sync.WaitGroup
	for _, h := range c.spec.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.probeHost(ctx, h.Name, fsm.AllChecks)
			mu.Lock()
			in = append(in, r.inputs...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wait.C:
	}
	view := c.replica.View()
	in = append(in, c.book.inputs(&view.State, "", false)...)
	in = append(in, c.reachability(&view.State)...)
	in = append(in, fsm.Start{})
	c.log.Info("running MMM's startup decision", "inputs", len(in))
	return c.propose(ctx, in)
}

// probeLoop probes one host every base period, each check when its own
// period has passed. A round that outlasts the period delays only this
// host's next round.
func (c *Coordinator) probeLoop(ctx context.Context, host string, out chan<- hostRound) {
	next := map[fsm.Check]time.Time{}
	for {
		t := c.timing()
		now := c.now()
		var due []fsm.Check
		for _, ch := range fsm.AllChecks {
			if !next[ch].After(now) {
				due = append(due, ch)
				next[ch] = now.Add(t.Checks[ch].Period)
			}
		}
		if len(due) > 0 {
			r := c.probeHost(ctx, host, due)
			select {
			case out <- r:
			case <-ctx.Done():
				return
			}
		}
		wait := t.base()
		for _, ch := range fsm.AllChecks {
			wait = min(wait, max(next[ch].Sub(c.now()), 10*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// probeHost runs the due checks and the inspection of one host
// concurrently, each bounded by its own deadline, and returns the inputs
// in a fixed order: checks in MMM's order, then the inspection.
func (c *Coordinator) probeHost(ctx context.Context, host string, due []fsm.Check) hostRound {
	return c.probe(ctx, host, due, true)
}

// probeChecks runs only the due checks of one host, no inspection.
func (c *Coordinator) probeChecks(ctx context.Context, host string, due []fsm.Check) hostRound {
	return c.probe(ctx, host, due, false)
}

func (c *Coordinator) probe(ctx context.Context, host string, due []fsm.Check, inspect bool) hostRound {
	t := c.timing()
	probes := make([]fsm.Input, len(due))
	var insp Inspection
	var wg sync.WaitGroup
	for i, ch := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, t.Checks[ch].deadline())
			defer cancel()
			start, began := time.Now(), c.now()
			type res struct {
				r   fsm.Result
				msg string
			}
			r := bounded(pctx, res{fsm.ResultFailed, "ERROR: Timeout"}, func(ctx context.Context) res {
				if c.opts.Prober == nil {
					return res{fsm.ResultUnknown, "UNKNOWN: no prober"}
				}
				r, msg := c.opts.Prober.Probe(ctx, host, ch)
				return res{r, msg}
			})
			c.metrics.observeCheck(host, ch, time.Since(start))
			probes[i] = fsm.Probe{Host: host, Check: ch, Result: r.r, Message: r.msg, Started: began}
		}()
	}
	if inspect && c.opts.Inspector != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ictx, cancel := context.WithTimeout(ctx, t.Checks[fsm.CheckMySQL].deadline())
			defer cancel()
			insp = bounded(ictx, Inspection{}, func(ctx context.Context) Inspection {
				in, _ := c.opts.Inspector.Inspect(ctx, host)
				return in
			})
		}()
	}
	wg.Wait()
	if insp.Obs.Host != "" {
		c.setObs(insp.Obs)
	}
	if c.opts.Prober == nil {
		probes = nil // no prober, no probes: an UNKNOWN would only add noise
	}
	return hostRound{host: host, inputs: append(probes, insp.inputs(host)...)}
}

// reachability proposes a Reachability for every host whose
// coordinator's reachability (raft heartbeats, within lostAfter the
// lease) differs from the committed state. Hosts that run no coordinator are left alone.
func (c *Coordinator) reachability(st *fsm.State) []fsm.Input {
	var out []fsm.Input
	now := c.now()
	for i := range st.Hosts {
		h := &st.Hosts[i]
		if !slices.ContainsFunc(c.peers, func(p Peer) bool { return p.ID == h.Name }) {
			continue
		}
		ok := c.node.peerReachable(h.Name, now, lostAfter(c.cfg.Coordinator.Lease))
		if ok && h.Unreachable && !c.node.peerAnswered(h.Name) {
			// A new term counts every peer as heard from at its start:
			// a host the state has unreachable is back only once it
			// answered (not "reachable again" at every leader change).
			continue
		}
		if ok == h.Unreachable {
			out = append(out, fsm.Reachability{Host: h.Name, Reachable: ok})
		}
	}
	return out
}

// propose commits inputs as one entry at the leader's time.
func (c *Coordinator) propose(ctx context.Context, in []fsm.Input) error {
	data, err := newEntry(c.now(), in, nil)
	if err != nil {
		return err
	}
	_, err = c.node.apply(ctx, data)
	return err
}

// novel drops the inputs that cannot change the committed state, so that
// an idle round is a few inputs instead of dozens (every replica steps
// every input): a probe result its check's trap already holds (the state
// machine ignores those) — except an OK of the mysql check, whose
// time stales older evidence — and an observation equal to the committed
// one. Before startup nothing is dropped (initial checks store every
// result).
func novel(st *fsm.State, in []fsm.Input) []fsm.Input {
	if !st.Started {
		return in
	}
	out := in[:0:0]
	for _, x := range in {
		if !redundant(st, x) {
			out = append(out, x)
		}
	}
	return out
}

// movesTrap reports whether x is a probe result that changes its
// check's trap: not redundant, and not merely a mysql OK refreshing the
// check's LastOK (every round has those).
func movesTrap(st *fsm.State, x fsm.Input) bool {
	p, ok := x.(fsm.Probe)
	if !ok || !st.Started || redundant(st, x) {
		return false
	}
	h := st.Host(p.Host)
	return !(p.Check == fsm.CheckMySQL && p.Result == fsm.ResultOK && h != nil && h.Checks[p.Check-1].Holds(fsm.ResultOK))
}

func redundant(st *fsm.State, x fsm.Input) bool {
	switch v := x.(type) {
	case fsm.Probe:
		h := st.Host(v.Host)
		if h == nil || v.Check < fsm.CheckPing || v.Check > fsm.CheckRepBacklog {
			return false
		}
		// A mysql OK still refreshes the check's LastOK.
		return h.Checks[v.Check-1].Holds(v.Result) && (v.Result != fsm.ResultOK || v.Check != fsm.CheckMySQL)
	case fsm.Writable:
		h := st.Host(v.Host)
		return h != nil && h.Writable == v.Writable
	case fsm.Follows:
		h := st.Host(v.Host)
		return h != nil && h.Follows == v.Master
	case fsm.GTID:
		h := st.Host(v.Host)
		return h != nil && maps.Equal(h.Position, v.Position) && (h.Position == nil) == (v.Position == nil)
	}
	return false
}
