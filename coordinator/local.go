package coordinator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// local is this coordinator's share of the committed state, applied to
// its own host: the keepalived track_file, under a lease, and the
// reports about the host that only it can make.
type local struct {
	c *Coordinator

	mu       sync.Mutex
	vrrp     fsm.VRRPState
	evidence *fsm.Evidence
	urgent   chan struct{} // a report must go out now

	// The self-fence (selffence.go), guarded by mu: mayWrite is whether
	// this host was allowed to write at the last look, selfFence the
	// current or last self-fence (nil: none since it last was),
	// stopFence cancels a running one. base is Run's context.
	base      context.Context
	mayWrite  bool
	selfFence *SelfFence
	stopFence context.CancelFunc
	// tickling: a tickler of the writer VIP's clients runs (one at a
	// time; it lists the sessions again at every round). stopTickle
	// ends it when this host may write again: the sessions it would
	// list are then live ones of its own.
	tickling   atomic.Bool
	stopTickle context.CancelFunc
	fenceAt    time.Time     // when the current self-fence began
	trackWake  chan struct{} // a self-fence ended: look at the track file now

	// track_file state, owned by runTrack.
	written    bool
	eligible   bool
	lastAssert time.Time
}

func newLocal(c *Coordinator) *local {
	return &local{c: c, urgent: make(chan struct{}, 1), trackWake: make(chan struct{}, 1)}
}

// trackInterval is how often the lease is checked: a tenth of it, so
// that the track file closes within lease + lease/10.
func (l *local) trackInterval() time.Duration {
	return min(max(l.c.cfg.Coordinator.Lease/10, 10*time.Millisecond), 250*time.Millisecond)
}

// runTrack keeps the track file in line with the committed state and the
// lease: eligible only while the committed state makes this host the
// writer (its role and an executed OpenWriter) AND this node has heard
// from a leader within the lease. It writes "ineligible" first thing, so
// a restarted coordinator never inherits an open file.
//
// It wakes when the replica applies an entry, when the raft state or
// leader changes, and when the lease would run out: an idle coordinator
// wakes about once per lease, not ten times (trackInterval is the
// granularity only while the lease is lost or about to be).
func (l *local) runTrack(ctx context.Context) {
	if l.c.witness {
		return
	}
	lease := l.c.cfg.Coordinator.Lease
	l.mu.Lock()
	l.base = ctx
	l.mu.Unlock()
	t := time.NewTimer(0)
	defer t.Stop()
	defer l.c.live.track.Store(0)
	for {
		changed, state := l.c.replica.Changed(), l.c.node.stateChanged()
		wait := l.leaseWait(lease)
		if hold := l.applyTrack(); hold > 0 {
			wait = min(wait, hold)
		}
		l.c.live.beat(&l.c.live.track, l.c.now())
		t.Reset(wait)
		select {
		case <-ctx.Done():
			l.closeTrack("shutting down")
			return
		case <-changed:
		case <-state:
		case <-l.trackWake:
		case <-t.C:
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
	}
}

// leaseWait is how long a loop that follows the lease may sleep: until
// the lease would run out (at least trackInterval), at most a second (the
// leader re-checks now and then).
func (l *local) leaseWait(lease time.Duration) time.Duration {
	wait := time.Second
	if exp := l.c.node.leaseExpiry(lease); !exp.IsZero() {
		wait = min(max(exp.Sub(l.c.now()), l.trackInterval()), wait)
	}
	return wait
}

// applyTrack evaluates and writes the track file once. It returns how
// long it holds an open track file that should close (0: it does not):
// while the self-fence that began with the close ends the writer's
// client sessions, for fenceHold at most. Sessions ended while the host
// still holds the writer VIP are told (a reset from the address they
// talk to); once keepalived has removed the address nothing can tell
// them, and a client waits out its own timeout (seconds) on a dead
// connection.
func (l *local) applyTrack() (hold time.Duration) {
	now := l.c.now()
	leaseOK := l.c.node.leaseOK(now, l.c.cfg.Coordinator.Lease)
	trusted, notTrusted := l.c.trusted(now)
	writer := l.c.replica.Writer() == l.c.host
	want := writer && trusted
	l.followMayWrite(trusted && l.c.replica.Owner() == l.c.host, leaseOK)
	why := "the committed state makes this host the writer"
	switch {
	case !trusted:
		why = notTrusted
	case !writer:
		why = "the committed state does not make this host the writer"
	}
	l.c.metrics.setLease(leaseOK, want)
	if l.written && l.eligible && !want {
		if hold := l.fenceHoldLeft(now); hold > 0 {
			return hold
		}
	}
	if l.written && want == l.eligible && now.Sub(l.lastAssert) < 5*time.Second {
		return 0
	}
	if l.written && want == l.eligible {
		// Re-assert now and then: keepalived reads a missing file as
		// eligible, so a file deleted by hand must come back.
		l.lastAssert = now
		if got, err := keepalived.ReadTrackFile(l.c.trackFile); err == nil && got == want {
			return 0
		}
	}
	if err := keepalived.WriteTrackFile(l.c.trackFile, want); err != nil {
		l.c.log.Error("writing the track file", "path", l.c.trackFile, "err", err)
		return 0
	}
	switch {
	case !l.written:
		l.c.log.Info("writer eligibility set at start", "host", l.c.host, "path", l.c.trackFile, "eligible", want, "why", why)
	case want != l.eligible:
		what := "closed"
		if want {
			what = "opened"
		}
		l.c.log.Warn("writer eligibility "+what, "host", l.c.host, "path", l.c.trackFile, "why", why)
	}
	l.written, l.eligible, l.lastAssert = true, want, now
	return 0
}

// fenceHold bounds how long a track file that should close stays open
// for the self-fence: a sixth of the lease, so that a cut-off writer
// still closes it before the leader takes it as lost (1.25 × lease) and
// can promote another.
func (l *local) fenceHold() time.Duration { return l.c.cfg.Coordinator.Lease / 6 }

// fenceHoldLeft is how much longer the track file stays open for a
// self-fence still under way (0: none, or its hold is over).
func (l *local) fenceHoldLeft(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.selfFence == nil || l.selfFence.Done {
		return 0
	}
	return max(l.fenceHold()-now.Sub(l.fenceAt), 0)
}

func (l *local) closeTrack(why string) {
	if err := keepalived.WriteTrackFile(l.c.trackFile, false); err != nil {
		l.c.log.Error("writing the track file", "path", l.c.trackFile, "err", err)
		return
	}
	if l.eligible {
		l.c.log.Warn("writer eligibility closed", "host", l.c.host, "path", l.c.trackFile, "why", why)
	}
	l.eligible = false
}

// setVRRP records keepalived's state and reports a change at once. A
// host allowed to write whose keepalived leaves for FAULT or STOP has
// lost the writer VIP: it fences itself.
func (l *local) setVRRP(s fsm.VRRPState) {
	l.mu.Lock()
	changed := l.vrrp != s
	l.vrrp = s
	if changed && l.mayWrite && (s == fsm.VRRPFault || s == fsm.VRRPStop) {
		l.startSelfFenceLocked("keepalived reports "+s.String()+" on the writer", false)
	}
	l.mu.Unlock()
	if changed {
		l.kick()
	}
}

// setEvidence records definitive evidence that mysqld is gone (nil: it
// answers again) and reports new evidence at once.
func (l *local) setEvidence(e *fsm.Evidence) {
	l.mu.Lock()
	changed := (l.evidence == nil) != (e == nil)
	l.evidence = e
	l.mu.Unlock()
	if changed && e != nil {
		l.kick()
	}
}

func (l *local) kick() {
	select {
	case l.urgent <- struct{}{}:
	default:
	}
}

// report builds this host's report.
func (l *local) report(urgent bool) Report {
	l.mu.Lock()
	r := Report{Host: l.c.host, Sent: l.c.now(), VRRP: l.vrrp, Evidence: l.evidence, Urgent: urgent,
		Applied: l.c.replica.Applied()}
	if l.selfFence != nil {
		sf := *l.selfFence
		r.SelfFence = &sf
	}
	l.mu.Unlock()
	if up, err := l.c.uptime(); err == nil {
		r.Uptime = up
	}
	r.VIPs, r.VIPsKnown = l.c.vips()
	return r
}

// runReports sends this host's report to the leader every base period,
// and at once when something urgent happened. A failed send is retried
// by the next one; the leader proposes only what its state lacks.
func (l *local) runReports(ctx context.Context) {
	if l.c.witness || l.c.spec.Hosts == nil {
		return
	}
	t := time.NewTimer(0)
	defer t.Stop()
	failures := 0
	for {
		urgent := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.urgent:
			urgent = true
		}
		err := l.c.sendReport(ctx, l.report(urgent))
		// Say so once it lasts (not during the first election).
		switch {
		case err != nil && ctx.Err() == nil:
			if failures++; failures == 3 {
				l.c.log.Warn("cannot report to the leader; retrying every period", "err", err)
			}
		case err == nil && failures >= 3:
			l.c.log.Info("reporting to the leader again")
			failures = 0
		case err == nil:
			failures = 0
		}
		if urgent && err != nil {
			// Evidence must arrive: retry soon rather than next period.
			t.Reset(200 * time.Millisecond)
			continue
		}
		t.Reset(l.c.timing().base())
	}
}

// hostUptime reads /proc/uptime.
func hostUptime() (float64, error) {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("coordinator: /proc/uptime is empty")
	}
	return strconv.ParseFloat(f[0], 64)
}

// interfaceVIPs returns the role IPs among the addresses of iface.
func interfaceVIPs(iface string, roleIPs []netip.Addr) ([]netip.Addr, bool) {
	if iface == "" {
		return nil, false
	}
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, false
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, false
	}
	var out []netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		if ip := p.Addr().Unmap(); slices.Contains(roleIPs, ip) {
			out = append(out, ip)
		}
	}
	return out, true
}

// followMayWrite follows whether this host may write (the committed
// state gives it the writer role, within its lease): when that ends, a
// self-fence starts; when it begins, a running one stops and the last
// outcome is forgotten (the leader opens writes, which a fence running
// on would undo).
func (l *local) followMayWrite(may, leaseOK bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.mayWrite && !may && !leaseOK:
		l.startSelfFenceLocked(fmt.Sprintf("no contact with a raft leader for longer than the lease (%v)", l.c.cfg.Coordinator.Lease), true)
	case l.mayWrite && !may:
		l.startSelfFenceLocked("the committed state gives the writer role to "+orNone(l.c.replica.Owner()), false)
	case !l.mayWrite && may:
		if l.stopFence != nil {
			l.stopFence()
			l.stopFence = nil
		}
		if l.stopTickle != nil {
			l.stopTickle()
			l.stopTickle = nil
		}
		l.selfFence = nil
	}
	l.mayWrite = may
}

func orNone(host string) string {
	if host == "" {
		return "no host"
	}
	return host
}

// startSelfFenceLocked starts a self-fence for why (l.mu held). One
// still running goes on: starting over would put its kill off by another
// fence_timeout (keepalived's FAULT on a frozen writer comes seconds
// before the leader's decision that moves the role). One that is done
// is started again: writes may have been reopened since.
//
// detach: the writer lost its lease, so it is cut off from the cluster
// and a new writer may be taking over. Its replication from its peer
// (the ring) would reconnect by itself when the cut ends and pull the
// new writer's transactions into a server that may hold one of its own
// nobody else has (gtid_strict_mode stops it with error 1950), and its
// dump threads collide with the old ones on the new writer. So its
// replication IO thread is stopped too; the rejoin, after the
// errant-transaction check, starts it again. And its clients are killed
// before read_only is set (selfFencer's cutOff), so that it is read-only
// before the leader takes it as lost.
func (l *local) startSelfFenceLocked(why string, detach bool) {
	if l.c.witness || l.base == nil {
		return
	}
	if l.stopFence != nil && l.selfFence != nil && !l.selfFence.Done {
		return
	}
	if l.stopFence != nil {
		l.stopFence()
	}
	ctx, cancel := context.WithCancel(l.base)
	l.stopFence = cancel
	sf := SelfFence{Since: l.c.replica.Applied(), Why: why}
	l.selfFence, l.fenceAt = &sf, l.c.now()
	f := l.c.selfFencer(func(sf SelfFence) {
		l.mu.Lock()
		if ctx.Err() == nil {
			l.selfFence = &sf
		}
		l.mu.Unlock()
		if sf.Done {
			l.kick() // the leader may be waiting for it
			select {
			case l.trackWake <- struct{}{}:
			default:
			}
		}
	}, detach)
	l.c.log.Warn("self-fence: fencing the local mysqld", "host", l.c.host, "why", why)
	if t := l.c.newTickler(); t != nil && l.tickling.CompareAndSwap(false, true) {
		tctx, stop := context.WithCancel(l.base)
		l.stopTickle = stop
		go func() {
			defer l.tickling.Store(false)
			defer stop()
			t.run(tctx)
		}()
	}
	go func() {
		done := f.run(ctx, sf)
		switch {
		case !done.Done:
		case done.How == SelfFencedKilled:
			l.c.log.Error("self-fence: killed the local mysqld: it could not be made read-only within fence_timeout",
				"host", l.c.host, "why", why, "detail", done.Detail, "tries", done.Tries)
		default:
			l.c.log.Info("self-fence: the local mysqld takes no writes", "host", l.c.host, "how", done.How, "detail", done.Detail)
		}
	}()
}
