package coordinator

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/mmm-keepalived/mmm-keepalived/internal/vip"
)

var (
	rv1 = netip.MustParseAddr("192.0.2.101")
	rv2 = netip.MustParseAddr("192.0.2.102")
)

// fakeVIPs is an interface holding addresses; dups answer probes from
// another MAC.
type fakeVIPs struct {
	held       []netip.Addr
	dups       map[netip.Addr]bool
	reconciles [][]netip.Addr
	announced  []netip.Addr
	probed     []netip.Addr
	closed     bool
}

func (f *fakeVIPs) dup(ip netip.Addr) *vip.DuplicateError {
	return &vip.DuplicateError{IP: ip, MAC: net.HardwareAddr{2, 0, 0, 0, 0, 9}}
}

func (f *fakeVIPs) Reconcile(ctx context.Context, want, managed []netip.Addr) (vip.Result, error) {
	f.reconciles = append(f.reconciles, slices.Clone(want))
	var res vip.Result
	var errs *multierror.Error
	f.held = slices.DeleteFunc(f.held, func(ip netip.Addr) bool {
		if slices.Contains(want, ip) {
			return false
		}
		res.Removed = append(res.Removed, ip)
		return true
	})
	for _, ip := range want {
		switch {
		case slices.Contains(f.held, ip):
		case f.dups[ip]:
			errs = multierror.Append(errs, f.dup(ip))
		default:
			f.held = append(f.held, ip)
			res.Added = append(res.Added, ip)
		}
	}
	return res, errs.ErrorOrNil()
}

func (f *fakeVIPs) Probe(ctx context.Context, ip netip.Addr) error {
	f.probed = append(f.probed, ip)
	if f.dups[ip] {
		return f.dup(ip)
	}
	return nil
}

func (f *fakeVIPs) Announce(ctx context.Context, ip netip.Addr) error {
	f.announced = append(f.announced, ip)
	return nil
}

func (f *fakeVIPs) Close() error { f.closed = true; return nil }

// vipWorld drives a readerVIPs with a fake clock and assignment.
type vipWorld struct {
	now     time.Time
	want    []netip.Addr
	known   bool
	kicks   int
	dials   int
	dialErr error
	mgr     *fakeVIPs
}

func newVIPWorld() (*vipWorld, *readerVIPs) {
	w := &vipWorld{now: time.Unix(1000, 0), mgr: &fakeVIPs{dups: map[netip.Addr]bool{}}}
	r := &readerVIPs{
		dial: func() (VIPManager, error) {
			w.dials++
			if w.dialErr != nil {
				return nil, w.dialErr
			}
			return w.mgr, nil
		},
		desired:    func() ([]netip.Addr, bool, string) { return w.want, w.known, "test" },
		managed:    []netip.Addr{rv1, rv2},
		now:        func() time.Time { return w.now },
		kick:       func() { w.kicks++ },
		log:        slog.New(slog.DiscardHandler),
		leaseWait:  func() time.Duration { return time.Second },
		reannounce: 5 * time.Second,
		announceAt: map[netip.Addr]time.Time{},
		dups:       map[netip.Addr]string{},
		dupSince:   map[netip.Addr]time.Time{},
	}
	return w, r
}

func TestReaderVIPsAssignment(t *testing.T) {
	w, r := newVIPWorld()
	ctx := context.Background()

	r.step(ctx) // nothing known yet: the interface is left alone
	if w.dials != 0 {
		t.Fatalf("dialled %d times before any assignment", w.dials)
	}

	w.known, w.want = true, []netip.Addr{rv1}
	r.step(ctx)
	if !slices.Equal(w.mgr.held, []netip.Addr{rv1}) || w.kicks != 1 {
		t.Fatalf("held %v, kicks %d; want [%v], 1", w.mgr.held, w.kicks, rv1)
	}
	n := len(w.mgr.reconciles)
	w.now = w.now.Add(time.Second)
	r.step(ctx) // unchanged: nothing to do
	if len(w.mgr.reconciles) != n || len(w.mgr.announced) != 0 {
		t.Fatalf("unchanged assignment reconciled again (%d) or announced early (%v)", len(w.mgr.reconciles)-n, w.mgr.announced)
	}
	w.now = w.now.Add(4 * time.Second) // garp_master_delay after the add
	r.step(ctx)
	if !slices.Equal(w.mgr.announced, []netip.Addr{rv1}) {
		t.Fatalf("announced %v, want one more announcement of %v", w.mgr.announced, rv1)
	}

	w.want = []netip.Addr{rv2} // moved
	r.step(ctx)
	if !slices.Equal(w.mgr.held, []netip.Addr{rv2}) {
		t.Fatalf("held %v after the move, want [%v]", w.mgr.held, rv2)
	}

	w.want = nil // the lease ran out
	r.step(ctx)
	if len(w.mgr.held) != 0 {
		t.Fatalf("held %v after the lease, want none", w.mgr.held)
	}

	w.want = []netip.Addr{rv1}
	r.step(ctx)
	r.shutdown()
	if len(w.mgr.held) != 0 || !w.mgr.closed {
		t.Fatalf("after shutdown: held %v, closed %v", w.mgr.held, w.mgr.closed)
	}
}

func TestReaderVIPsDuplicate(t *testing.T) {
	w, r := newVIPWorld()
	ctx := context.Background()
	w.known, w.want = true, []netip.Addr{rv1, rv2}
	w.mgr.dups[rv2] = true
	r.step(ctx)
	if !slices.Equal(w.mgr.held, []netip.Addr{rv1}) {
		t.Fatalf("held %v, want only %v (%v is another host's)", w.mgr.held, rv1, rv2)
	}
	// A move in progress (the old holder lets go within milliseconds):
	// no warning yet, tried again soon.
	if got := r.warnings(); len(got) != 0 {
		t.Fatalf("warnings %q at the first duplicate, want none within %v", got, dupGrace)
	}
	n := len(w.mgr.reconciles)
	w.now = w.now.Add(50 * time.Millisecond)
	r.step(ctx)
	if len(w.mgr.reconciles) != n {
		t.Fatal("retried before the backoff")
	}
	// Still answered by another host past the grace: a warning.
	for range 8 {
		w.now = w.now.Add(time.Second)
		r.step(ctx)
	}
	if got := r.warnings(); len(got) != 1 || !strings.Contains(got[0], rv2.String()) {
		t.Fatalf("warnings %q past %v, want one about %v", got, dupGrace, rv2)
	}
	delete(w.mgr.dups, rv2) // the other host let it go
	w.now = w.now.Add(vipRetryMax)
	r.step(ctx)
	if !slices.Equal(w.mgr.held, []netip.Addr{rv1, rv2}) || len(r.warnings()) != 0 {
		t.Fatalf("after the retry: held %v, warnings %q", w.mgr.held, r.warnings())
	}

	// The periodic probe finds another host answering for a held IP:
	// reported, kept.
	w.mgr.dups[rv1] = true
	w.now = w.now.Add(vipRecheck)
	r.step(ctx)
	if !slices.Contains(w.mgr.probed, rv1) || !slices.Contains(w.mgr.held, rv1) {
		t.Fatalf("probed %v, held %v", w.mgr.probed, w.mgr.held)
	}
	if got := r.warnings(); len(got) != 1 || !strings.Contains(got[0], "answered by") {
		t.Fatalf("warnings %q, want the held duplicate", got)
	}
}

func TestReaderVIPsDialRetry(t *testing.T) {
	w, r := newVIPWorld()
	w.known, w.want, w.dialErr = true, []netip.Addr{rv1}, errors.New("no such interface")
	ctx := context.Background()
	r.step(ctx)
	r.step(ctx)
	if w.dials != 1 {
		t.Fatalf("dialled %d times, want 1 before the retry delay", w.dials)
	}
	w.dialErr = nil
	w.now = w.now.Add(vipDialRetry)
	r.step(ctx)
	if w.dials != 2 || !slices.Equal(w.mgr.held, []netip.Addr{rv1}) {
		t.Fatalf("dials %d, held %v", w.dials, w.mgr.held)
	}
}

func TestEachError(t *testing.T) {
	d1, d2 := &vip.DuplicateError{IP: rv1}, &vip.DuplicateError{IP: rv2}
	other := errors.New("netlink: busy")
	err := multierror.Append(nil, d1, errors.Join(other, d2))
	var seen []netip.Addr
	rest := eachError(err, func(e error) bool {
		var d *vip.DuplicateError
		if errors.As(e, &d) {
			seen = append(seen, d.IP)
			return true
		}
		return false
	})
	if !slices.Equal(seen, []netip.Addr{rv1, rv2}) || !errors.Is(rest, other) || errors.Is(rest, vip.ErrDuplicate) {
		t.Fatalf("seen %v, rest %v", seen, rest)
	}
}

// TestReaderVIPsWait: the loop sleeps until the lease would run out or its
// next own deadline, whichever comes first.
func TestReaderVIPsWait(t *testing.T) {
	w, r := newVIPWorld()
	if got := r.wait(); got != time.Second {
		t.Fatalf("idle: %v, want the lease's 1s", got)
	}
	r.retryAt = w.now.Add(250 * time.Millisecond)
	if got := r.wait(); got != 250*time.Millisecond {
		t.Fatalf("retry pending: %v, want 250ms", got)
	}
	r.announceAt[rv1] = w.now.Add(100 * time.Millisecond)
	if got := r.wait(); got != 100*time.Millisecond {
		t.Fatalf("announcement due: %v, want 100ms", got)
	}
	r.announceAt[rv1] = w.now.Add(-time.Second) // overdue: at once, not negative
	if got := r.wait(); got != time.Millisecond {
		t.Fatalf("overdue: %v, want 1ms", got)
	}
}
