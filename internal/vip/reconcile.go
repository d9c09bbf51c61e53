package vip

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hashicorp/go-multierror"
)

// Result is what a Reconcile changed.
type Result struct {
	// Removed were held, managed and not wanted; they are off the interface.
	Removed []netip.Addr
	// Added passed the duplicate probe and are on the interface; an error
	// returned alongside may say their announcement was incomplete.
	Added []netip.Addr
}

// Changed reports whether Reconcile changed anything.
func (r Result) Changed() bool { return len(r.Added)+len(r.Removed) > 0 }

// Reconcile makes the interface hold exactly the wanted addresses among
// the managed ones: it removes every managed /32 it holds that is not
// wanted, then probes, adds and announces every wanted address it lacks.
// Addresses outside managed are never touched (the host's own address,
// the writer VIP, which is keepalived's), and want must be a subset of
// managed (ErrUnmanaged, checked before any change).
//
// Reconcile is idempotent: a second call with the same arguments changes
// nothing. Failures for one address do not stop the others; they are
// returned together (a *DuplicateError for each address another host
// answers for). Removals come first so that an address moving away from
// this host is gone before anything new is announced. All wanted-and-
// missing addresses share one probe window and one announcement series,
// so the time does not grow with their number.
func (m *Manager) Reconcile(ctx context.Context, want, managed []netip.Addr) (Result, error) {
	want, managed = dedup(want), dedup(managed)
	isManaged := make(map[netip.Addr]bool, len(managed))
	for _, ip := range managed {
		if !ip.Is4() {
			return Result{}, fmt.Errorf("vip: reconcile: managed %w: %s", ErrNotIPv4, ip)
		}
		isManaged[ip] = true
	}
	isWanted := make(map[netip.Addr]bool, len(want))
	for _, ip := range want {
		if !isManaged[ip] {
			return Result{}, fmt.Errorf("vip: reconcile: want %s: %w", ip, ErrUnmanaged)
		}
		isWanted[ip] = true
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.state(ctx)
	if err != nil {
		return Result{}, err
	}
	var res Result
	var errs *multierror.Error
	for _, ip := range managed {
		if !h.vips[ip] || isWanted[ip] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, multierror.Append(errs, fmt.Errorf("vip: reconcile: %w", err)).ErrorOrNil()
		}
		removed, err := m.remove(h.link, ip)
		if err != nil {
			errs = multierror.Append(errs, err)
		}
		if removed {
			res.Removed = append(res.Removed, ip)
		}
	}
	var missing []netip.Addr
	for _, ip := range want {
		if h.vips[ip] {
			continue
		}
		if err := h.check(ip); err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		missing = append(missing, ip)
	}
	if len(missing) > 0 {
		added, err := m.addAll(ctx, h.link, missing)
		res.Added = added
		if err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	return res, errs.ErrorOrNil()
}
