package vip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// GARP timing. A Linux client updates an existing neighbour entry from a
// gratuitous ARP regardless of the neighbour locktime (1 s): arp_process
// sets override = time_after(jiffies, n->updated + locktime) || is_garp,
// and arp_is_garp accepts a request with sender IP = target IP, or such a
// reply whose target MAC equals its sender MAC (hence our reply carries
// our own MAC as target, not broadcast). This holds since the 2017
// gratuitous-ARP fixes (about Linux 4.11). The locktime holds back only
// ordinary replies. Measured in the integration test (kernel 6.18): a VIP
// moved back 0.21 s after the client's entry last changed was followed at
// once; replies with a broadcast target MAC alone (what MMM's Net::ARP
// sent) were held back until the locktime ran out (1.007 s).
//
// So the first round that reaches a client switches it, and garp_interval
// need not exceed 1 s: the repeats (garp_count 5, every 200 ms) cover lost
// frames and switches, and keep Add short (0.8 s of rounds). Clients that
// apply the locktime to GARPs too (old kernels, other systems) may drop the
// rounds after the first inside 1 s; the coordinator covers them by calling
// Announce again later, as keepalived does after garp_master_delay. Clients
// with arp_accept=0 create no entry from a GARP, which is fine: they
// resolve the VIP afresh when they need it.

// maxDrain bounds how many stale frames one probe discards.
const maxDrain = 4096

// addAll probes ips (IPv4, none held), adds those nobody else answers for
// and announces what it added. It returns what it added and every failure.
func (m *Manager) addAll(ctx context.Context, link netlink.Link, ips []netip.Addr) ([]netip.Addr, error) {
	hw := link.Attrs().HardwareAddr
	dups, err := m.probe(ctx, hw, ips)
	if err != nil {
		return nil, err
	}
	var errs []error
	var added []netip.Addr
	for _, ip := range ips {
		if d := dups[ip]; d != nil {
			errs = append(errs, d)
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("vip: add %s: %w", ip, err))
			break
		}
		switch err := m.nl.AddrAdd(link, vipAddr(ip)); {
		case errors.Is(err, unix.EEXIST):
			// Added meanwhile by someone else, who announces it.
		case err != nil:
			errs = append(errs, fmt.Errorf("vip: add %s/32 to %s: %w", ip, m.ifname, err))
		default:
			added = append(added, ip)
		}
	}
	if len(added) > 0 {
		if err := m.announce(ctx, hw, added); err != nil {
			errs = append(errs, fmt.Errorf("vip: added %v but the announcement failed: %w", added, err))
		}
	}
	return added, combine(errs)
}

// combine returns nil, the only error, or all of them as a multierror.
func combine(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return multierror.Append(nil, errs...)
}

// Probe sends the duplicate address probe for ip and waits for answers
// (ProbeCount × ProbeInterval). It returns nil if no other MAC answered,
// a *DuplicateError if one did. Probing an address this host holds is
// fine (the kernel does not answer its own probe), so a coordinator can
// use Probe to check periodically that nobody else took its VIP.
func (m *Manager) Probe(ctx context.Context, ip netip.Addr) error {
	if !ip.Is4() {
		return fmt.Errorf("%w: %s", ErrNotIPv4, ip)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	link, err := m.nl.LinkByName(m.ifname)
	if err != nil {
		return fmt.Errorf("vip: interface %s: %w", m.ifname, err)
	}
	dups, err := m.probe(ctx, link.Attrs().HardwareAddr, []netip.Addr{ip})
	if err != nil {
		return err
	}
	if d := dups[ip]; d != nil {
		return d
	}
	return nil
}

// probe runs RFC 5227 duplicate address detection for ips at once and
// returns the conflicts found. Frames queued on the socket before the
// first probe are discarded: they answer nothing we asked, and a host
// that still holds an address answers the probe itself.
func (m *Manager) probe(ctx context.Context, hw net.HardwareAddr, ips []netip.Addr) (map[netip.Addr]*DuplicateError, error) {
	if len(hw) != 6 {
		return nil, fmt.Errorf("vip: %s has no Ethernet address (%q)", m.ifname, hw)
	}
	if err := m.drain(); err != nil {
		return nil, fmt.Errorf("vip: ARP socket on %s: %w", m.ifname, err)
	}
	dups := map[netip.Addr]*DuplicateError{}
	for round := 0; round < m.opts.ProbeCount; round++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("vip: probe on %s: %w", m.ifname, err)
		}
		end := m.now().Add(m.opts.ProbeInterval)
		if err := m.setDeadline(ctx, end); err != nil {
			return nil, err
		}
		for _, ip := range ips {
			if dups[ip] != nil {
				continue
			}
			// Sender 0.0.0.0 and target MAC zero: a probe updates no cache.
			p, err := arp.NewPacket(arp.OperationRequest, hw, netip.IPv4Unspecified(), zeroMAC, ip)
			if err != nil {
				return nil, fmt.Errorf("vip: probe %s: %w", ip, err)
			}
			if err := m.conn.WriteTo(p, ethernet.Broadcast); err != nil {
				return nil, fmt.Errorf("vip: probe %s on %s: %w", ip, m.ifname, err)
			}
		}
		err := m.collect(ctx, end, func(p *arp.Packet) {
			for _, ip := range ips {
				if d := conflict(p, hw, ip); d != nil && dups[ip] == nil {
					dups[ip] = d
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("vip: probe on %s: %w", m.ifname, err)
		}
		if len(dups) == len(ips) {
			break
		}
	}
	return dups, nil
}

var zeroMAC = net.HardwareAddr{0, 0, 0, 0, 0, 0}

// conflict reports whether p shows another host using ip: any ARP packet
// from another MAC with ip as sender, or another host's probe for ip
// (RFC 5227 2.1.1). Our own frames come back on the packet socket and
// are skipped by their sender MAC.
func conflict(p *arp.Packet, hw net.HardwareAddr, ip netip.Addr) *DuplicateError {
	if bytes.Equal(p.SenderHardwareAddr, hw) {
		return nil
	}
	switch {
	case p.SenderIP == ip:
		return &DuplicateError{IP: ip, MAC: p.SenderHardwareAddr}
	case p.Operation == arp.OperationRequest && p.SenderIP.IsUnspecified() && p.TargetIP == ip:
		return &DuplicateError{IP: ip, MAC: p.SenderHardwareAddr, Probing: true}
	}
	return nil
}

// collect reads ARP packets into fn until end, ctx's deadline or ctx's
// cancellation (noticed at the latest at end).
func (m *Manager) collect(ctx context.Context, end time.Time, fn func(*arp.Packet)) error {
	for m.now().Before(end) {
		if err := ctx.Err(); err != nil {
			return err
		}
		dl, ctxBound := end, false
		if d, ok := ctx.Deadline(); ok && d.Before(end) {
			dl, ctxBound = d, true
		}
		if err := m.conn.SetDeadline(dl); err != nil {
			return err
		}
		p, _, err := m.conn.Read()
		switch {
		case isTimeout(err) && ctxBound:
			return context.DeadlineExceeded
		case isTimeout(err):
			return nil
		case pastLinkDown(err):
			continue
		case err != nil:
			return err
		}
		fn(p)
	}
	return nil
}

// drain discards what the socket queued while nobody read it.
func (m *Manager) drain() error {
	for range maxDrain {
		if err := m.conn.SetDeadline(m.now().Add(time.Millisecond)); err != nil {
			return err
		}
		_, _, err := m.conn.Read()
		switch {
		case isTimeout(err):
			return nil
		case pastLinkDown(err):
			continue
		case err != nil:
			return err
		}
	}
	return nil
}

// pastLinkDown reports the error a packet socket keeps from the last time
// its interface went down (the kernel sets it on NETDEV_DOWN and returns
// it once, on the next read). The socket works again once the link is up;
// if the link is still down, the next write says so.
func pastLinkDown(err error) bool { return errors.Is(err, unix.ENETDOWN) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// setDeadline bounds the next socket calls by t or ctx's deadline.
func (m *Manager) setDeadline(ctx context.Context, t time.Time) error {
	if d, ok := ctx.Deadline(); ok && d.Before(t) {
		t = d
	}
	if err := m.conn.SetDeadline(t); err != nil {
		return fmt.Errorf("vip: ARP socket on %s: %w", m.ifname, err)
	}
	return nil
}

// Announce sends the gratuitous ARP series for ip, which the interface
// must hold as /32 (ErrNotHeld otherwise: announcing an address we do not
// hold would pull its traffic here). Re-announcing periodically is the
// caller's choice. It takes (GarpCount-1) × GarpInterval.
func (m *Manager) Announce(ctx context.Context, ip netip.Addr) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.state(ctx)
	if err != nil {
		return err
	}
	if err := h.check(ip); err != nil {
		return err
	}
	if !h.vips[ip] {
		return fmt.Errorf("vip: announce %s on %s: %w", ip, m.ifname, ErrNotHeld)
	}
	if err := m.announce(ctx, h.link.Attrs().HardwareAddr, []netip.Addr{ip}); err != nil {
		return fmt.Errorf("vip: announce %s: %w", ip, err)
	}
	return nil
}

// announce sends GarpCount rounds, GarpInterval apart, of a gratuitous
// request and a gratuitous reply for each of ips, to broadcast.
func (m *Manager) announce(ctx context.Context, hw net.HardwareAddr, ips []netip.Addr) error {
	for round := 0; round < m.opts.GarpCount; round++ {
		if round > 0 {
			if err := m.wait(ctx, m.opts.GarpInterval); err != nil {
				return err
			}
		}
		if err := m.setDeadline(ctx, m.now().Add(time.Second)); err != nil {
			return err
		}
		for _, ip := range ips {
			// RFC 5227 2.3: a request's target MAC is ignored and zero.
			req, err := arp.NewPacket(arp.OperationRequest, hw, ip, zeroMAC, ip)
			if err != nil {
				return err
			}
			// RFC 2002 4.6 and the kernel's arp_is_garp: a reply's target MAC
			// is the sender's own.
			rep, err := arp.NewPacket(arp.OperationReply, hw, ip, hw, ip)
			if err != nil {
				return err
			}
			for _, p := range []*arp.Packet{req, rep} {
				if err := m.conn.WriteTo(p, ethernet.Broadcast); err != nil {
					return fmt.Errorf("%s on %s: %w", p.Operation, m.ifname, err)
				}
			}
		}
	}
	return nil
}
