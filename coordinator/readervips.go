package coordinator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/vip"
)

// VIPManager is what the reader VIPs need of internal/vip's Manager.
type VIPManager interface {
	Reconcile(ctx context.Context, want, managed []netip.Addr) (vip.Result, error)
	Probe(ctx context.Context, ip netip.Addr) error
	Announce(ctx context.Context, ip netip.Addr) error
	Close() error
}

var _ VIPManager = (*vip.Manager)(nil)

// VIPDialer opens the VIPManager of this host's vip_interface; it is
// called again after a failure.
type VIPDialer func() (VIPManager, error)

// DialReaderVIPs returns the dialer of host's vip_interface with the
// coordinator's garp_count and garp_interval. The manager's sockets
// belong to the network namespace of the thread that dials.
func DialReaderVIPs(cfg *config.Config, host string) VIPDialer {
	return func() (VIPManager, error) {
		h := cfg.Host(host)
		if h == nil || h.VIPInterface == "" {
			return nil, fmt.Errorf("%w: host %q has no vip_interface", ErrConfig, host)
		}
		m, err := vip.Dial(h.VIPInterface, vip.Options{GarpCount: cfg.Coordinator.GarpCount,
			GarpInterval: cfg.Coordinator.GarpInterval})
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

// Timing of the reader VIP loop.
const (
	vipRecheck          = 10 * time.Second
	vipReconcileTimeout = 5 * time.Second
	vipRetryMin         = 100 * time.Millisecond
	// dupGrace: a reader VIP another host still answers for is a move
	// in progress for this long (the old holder applies the same entry
	// and removes it within milliseconds): tried again quietly, then an
	// error and a warning in the API.
	dupGrace     = 3 * time.Second
	vipRetryMax  = 5 * time.Second
	vipDialRetry = 5 * time.Second
)

// readerVIPs is one host's reader VIP loop. Its fields are owned by the
// loop's goroutine, except dups (mu).
type readerVIPs struct {
	dial VIPDialer
	// desired returns the wanted IPs (sorted), whether anything is known,
	// and why (for the log).
	desired func() (want []netip.Addr, known bool, why string)
	managed []netip.Addr
	now     func() time.Time
	kick    func() // report to the leader soon
	log     *slog.Logger
	// changes returns channels closed at the next apply and at the next
	// raft state or leader change; leaseWait how long the loop may sleep
	// as far as the lease is concerned.
	changes    func() (applied, state <-chan struct{})
	leaseWait  func() time.Duration
	reannounce time.Duration

	mgr        VIPManager
	dialFails  int
	applied    []netip.Addr // want at the last reconcile
	hasApplied bool
	retryAt    time.Time // zero: no retry pending
	backoff    time.Duration
	announceAt map[netip.Addr]time.Time
	checkAt    time.Time

	mu   sync.Mutex
	dups map[netip.Addr]string
	// dupSince: when each IP was first found answered by another host
	// (the loop's goroutine only).
	dupSince map[netip.Addr]time.Time
}

// newReaderVIPs builds c's loop, or nil when c has none (a witness, or
// Options.ReaderVIPs nil).
func newReaderVIPs(c *Coordinator) *readerVIPs {
	if c.witness || c.opts.ReaderVIPs == nil {
		return nil
	}
	var managed []netip.Addr
	for _, r := range c.cfg.Roles {
		if r.Name != c.cfg.ActiveMasterRole {
			managed = append(managed, r.IPs...)
		}
	}
	lease := c.cfg.Coordinator.Lease
	return &readerVIPs{
		dial:    c.opts.ReaderVIPs,
		managed: managed,
		now:     c.now,
		kick:    c.local.kick,
		log:     c.log.With("component", "reader-vips"),
		desired: func() ([]netip.Addr, bool, string) {
			if !c.node.leaseOK(c.now(), lease) {
				return nil, true, fmt.Sprintf("no contact with a raft leader for longer than the lease (%v)", lease)
			}
			if ok, _ := c.trusted(c.now()); !ok {
				// In contact again, not caught up yet (freshness): the
				// state may hand this host VIPs another host holds now.
				// What it has stays until the state is current.
				return nil, false, ""
			}
			v := c.replica.View()
			h := v.State.Host(c.host)
			if h == nil || !h.Applied.Known {
				return nil, false, ""
			}
			return h.Applied.Readers, true, "the committed role assignment"
		},
		changes: func() (<-chan struct{}, <-chan struct{}) {
			return c.replica.Changed(), c.node.stateChanged()
		},
		leaseWait:  func() time.Duration { return c.local.leaseWait(lease) },
		reannounce: c.cfg.Keepalived.GarpMasterDelay,
		announceAt: map[netip.Addr]time.Time{},
		dups:       map[netip.Addr]string{},
		dupSince:   map[netip.Addr]time.Time{},
	}
}

// run applies the reader VIPs until ctx ends, then removes them all. It
// wakes when an entry is applied, when the raft state or leader changes,
// when the lease would run out, and when a retry, an announcement or a
// re-check is due: an idle node wakes about once per lease.
func (r *readerVIPs) run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		applied, state := r.changes()
		r.step(ctx)
		t.Reset(r.wait())
		select {
		case <-ctx.Done():
			r.shutdown()
			return
		case <-applied:
		case <-state:
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

// wait is how long the loop may sleep: until the lease would run out or
// its next own deadline.
func (r *readerVIPs) wait() time.Duration {
	wait := r.leaseWait()
	now := r.now()
	until := func(t time.Time) {
		if !t.IsZero() {
			wait = min(wait, max(t.Sub(now), time.Millisecond))
		}
	}
	until(r.retryAt)
	for _, at := range r.announceAt {
		until(at)
	}
	if r.mgr != nil {
		until(r.checkAt)
	}
	return wait
}

// step evaluates the assignment once and applies what is due.
func (r *readerVIPs) step(ctx context.Context) {
	want, known, why := r.desired()
	if !known {
		return
	}
	now := r.now()
	if r.mgr == nil && !r.connect(now) {
		return
	}
	if !r.hasApplied || !slices.Equal(want, r.applied) || (!r.retryAt.IsZero() && !now.Before(r.retryAt)) ||
		!now.Before(r.checkAt) {
		r.reconcile(ctx, want, why)
	}
	r.announceDue(ctx)
	if now := r.now(); !now.Before(r.checkAt) {
		r.probeHeld(ctx)
		r.checkAt = now.Add(vipRecheck)
	}
}

// connect dials the manager; false when it failed (retried later).
func (r *readerVIPs) connect(now time.Time) bool {
	if now.Before(r.retryAt) {
		return false
	}
	m, err := r.dial()
	if err != nil {
		if r.dialFails++; r.dialFails == 1 || r.dialFails%60 == 0 {
			r.log.Error("cannot manage reader VIPs; retrying", "err", err, "failures", r.dialFails)
		}
		r.retryAt = now.Add(vipDialRetry)
		return false
	}
	r.mgr, r.dialFails, r.retryAt = m, 0, time.Time{}
	r.checkAt = now.Add(vipRecheck)
	return true
}

// reconcile makes the interface hold want among the managed IPs.
func (r *readerVIPs) reconcile(ctx context.Context, want []netip.Addr, why string) {
	rctx, cancel := context.WithTimeout(ctx, vipReconcileTimeout)
	res, err := r.mgr.Reconcile(rctx, want, r.managed)
	cancel()
	now := r.now()
	r.applied, r.hasApplied = slices.Clone(want), true
	for _, ip := range res.Added {
		r.announceAt[ip] = now.Add(r.reannounce)
		r.setDup(ip, "")
		delete(r.dupSince, ip)
	}
	for _, ip := range res.Removed {
		delete(r.announceAt, ip)
	}
	if res.Changed() {
		r.log.Info("reader VIPs applied", "added", res.Added, "removed", res.Removed, "want", want, "why", why)
		r.kick()
	}
	for ip := range r.dupIPs() {
		if !slices.Contains(want, ip) {
			r.setDup(ip, "") // no longer ours to add
		}
	}
	for ip := range r.dupSince {
		if !slices.Contains(want, ip) {
			delete(r.dupSince, ip)
		}
	}
	if err == nil {
		r.retryAt, r.backoff = time.Time{}, 0
		return
	}
	if ctx.Err() != nil {
		return
	}
	other := eachError(err, func(e error) bool {
		var d *vip.DuplicateError
		if !errors.As(e, &d) {
			return false
		}
		since, seen := r.dupSince[d.IP]
		switch {
		case !seen:
			r.dupSince[d.IP] = now
			r.log.Info("reader VIP still answered by its previous holder; trying again", "vip", d.IP, "mac", d.MAC.String())
		case now.Sub(since) >= dupGrace && r.dupText(d.IP) == "":
			r.log.Error("reader VIP not added: another host answers for it", "vip", d.IP, "mac", d.MAC.String(),
				"probing", d.Probing, "for", now.Sub(since).Round(time.Millisecond))
			r.setDup(d.IP, fmt.Sprintf("reader VIP %s not added: %v", d.IP, d))
		}
		return true
	})
	if other != nil {
		r.log.Warn("applying reader VIPs failed; retrying", "want", want, "err", other)
	}
	r.backoff = min(max(2*r.backoff, vipRetryMin), vipRetryMax)
	r.retryAt = now.Add(r.backoff)
}

// announceDue sends the second announcement of recently added IPs.
func (r *readerVIPs) announceDue(ctx context.Context) {
	for _, ip := range slices.SortedFunc(maps.Keys(r.announceAt), netip.Addr.Compare) {
		if r.now().Before(r.announceAt[ip]) {
			continue
		}
		delete(r.announceAt, ip)
		actx, cancel := context.WithTimeout(ctx, vipReconcileTimeout)
		if err := r.mgr.Announce(actx, ip); err != nil && ctx.Err() == nil {
			r.log.Warn("announcing a reader VIP again failed", "vip", ip, "err", err)
		}
		cancel()
	}
}

// probeHeld checks that no other host answers for an IP this host holds
// (MMM could leave one IP on two hosts): a conflict is logged and
// reported, not fought over.
func (r *readerVIPs) probeHeld(ctx context.Context) {
	for _, ip := range r.applied {
		pctx, cancel := context.WithTimeout(ctx, vipReconcileTimeout)
		err := r.mgr.Probe(pctx, ip)
		cancel()
		var d *vip.DuplicateError
		switch {
		case errors.As(err, &d):
			if r.dupText(ip) == "" {
				r.log.Error("reader VIP held here is answered by another host too", "vip", ip, "mac", d.MAC.String())
			}
			r.setDup(ip, fmt.Sprintf("reader VIP %s held here is answered by %s too", ip, d.MAC))
		case err == nil:
			r.setDup(ip, "")
		case ctx.Err() == nil:
			r.log.Warn("probing a reader VIP failed", "vip", ip, "err", err)
		}
	}
}

// shutdown removes every managed IP and closes the manager.
func (r *readerVIPs) shutdown() {
	if r.mgr == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := r.mgr.Reconcile(ctx, nil, r.managed)
	if len(res.Removed) > 0 {
		r.log.Info("reader VIPs removed at shutdown", "removed", res.Removed)
	}
	if err != nil {
		r.log.Error("removing reader VIPs at shutdown", "err", err)
	}
	r.mgr.Close()
	r.mgr = nil
}

func (r *readerVIPs) setDup(ip netip.Addr, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if text == "" {
		delete(r.dups, ip)
	} else {
		r.dups[ip] = text
	}
}

func (r *readerVIPs) dupText(ip netip.Addr) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dups[ip]
}

func (r *readerVIPs) dupIPs() map[netip.Addr]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.dups)
}

// warnings lists the duplicates found, for the node's API snapshot.
func (r *readerVIPs) warnings() []string {
	if r == nil {
		return nil
	}
	d := r.dupIPs()
	out := make([]string, 0, len(d))
	for _, ip := range slices.SortedFunc(maps.Keys(d), netip.Addr.Compare) {
		out = append(out, d[ip])
	}
	return out
}

// eachError calls fn with every error err joins (a multierror, an
// errors.Join, or err alone) and returns, joined, those fn did not take.
func eachError(err error, fn func(error) bool) error {
	var parts []error
	if me, ok := err.(*multierror.Error); ok {
		parts = me.WrappedErrors()
	} else if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	}
	if parts == nil {
		if fn(err) {
			return nil
		}
		return err
	}
	var rest []error
	for _, p := range parts {
		if p == nil {
			continue
		}
		if r := eachError(p, fn); r != nil {
			rest = append(rest, r)
		}
	}
	return errors.Join(rest...)
}
