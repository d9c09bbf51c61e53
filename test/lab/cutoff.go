package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// CutOff cuts host off at L3 from every other host but app: a blackhole
// route to each one's address inside host's namespace, and one to host's
// address inside theirs. Unicast between them vanishes in both
// directions (raft, MySQL replication, the leader's checks), while app
// still reaches host — a writer an application can still write to,
// cut from its replicas and its cluster. VRRP multicast still crosses,
// as behind a firewall that drops only unicast between the hosts.
// Reverse: Reconnect.
func (l *Lab) CutOff(ctx context.Context, host string) (Undo, error) {
	h, err := LookupHost(host)
	if err != nil {
		return nil, err
	}
	for _, o := range l.cutPeers(host) {
		if err := errors.Join(blackhole(l.Namespace(host), o.Addr, true),
			blackhole(l.Namespace(o.Name), h.Addr, true)); err != nil {
			return nil, errors.Join(err, l.Reconnect(ctx, host))
		}
	}
	return once(func(ctx context.Context) error { return l.Reconnect(ctx, host) }), nil
}

// Reconnect removes what CutOff added for host (routes already gone are
// no error) and starts its mysqld again if it died meanwhile
// (RestartDead).
func (l *Lab) Reconnect(ctx context.Context, host string) error {
	h, err := LookupHost(host)
	if err != nil {
		return err
	}
	var errs []error
	for _, o := range l.cutPeers(host) {
		errs = append(errs, blackhole(l.Namespace(host), o.Addr, false),
			blackhole(l.Namespace(o.Name), h.Addr, false))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	_, err = l.RestartDead(ctx, host)
	return err
}

// cutPeers are the hosts CutOff separates host from.
func (l *Lab) cutPeers(host string) []Host {
	var out []Host
	for _, o := range Hosts {
		if o.Name != host && o.Name != "app" && o.Addr.IsValid() {
			out = append(out, o)
		}
	}
	return slices.Clip(out)
}

// blackhole adds (or deletes) a blackhole route to addr/32 in ns.
func blackhole(ns string, addr netip.Addr, add bool) error {
	if err := CheckAddrs(addr); err != nil {
		return err
	}
	h, err := handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	r := &netlink.Route{Dst: &net.IPNet{IP: addr.AsSlice(), Mask: net.CIDRMask(32, 32)}, Type: unix.RTN_BLACKHOLE}
	if add {
		if err := h.RouteReplace(r); err != nil {
			return fmt.Errorf("lab: blackhole %s in %s: %w", addr, ns, err)
		}
		return nil
	}
	if err := h.RouteDel(r); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("lab: remove the blackhole %s in %s: %w", addr, ns, err)
	}
	return nil
}
