package vip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Netlink is the part of vishvananda/netlink a Manager uses;
// *netlink.Handle satisfies it.
type Netlink interface {
	LinkByName(name string) (netlink.Link, error)
	AddrList(link netlink.Link, family int) ([]netlink.Addr, error)
	AddrAdd(link netlink.Link, addr *netlink.Addr) error
	AddrDel(link netlink.Link, addr *netlink.Addr) error
}

// ARPConn is the part of an mdlayher/arp Client a Manager uses;
// *arp.Client satisfies it. Client.Request is not used: it sends the
// interface's own address as sender, and a duplicate probe must send
// 0.0.0.0 (RFC 5227) so that it poisons nobody's cache.
type ARPConn interface {
	WriteTo(p *arp.Packet, addr net.HardwareAddr) error
	Read() (*arp.Packet, *ethernet.Frame, error)
	SetDeadline(t time.Time) error
}

// Defaults for the zero fields of Options.
const (
	DefaultGarpCount     = 5                      // coordinator garp_count
	DefaultGarpInterval  = 200 * time.Millisecond // coordinator garp_interval
	DefaultProbeCount    = 2
	DefaultProbeInterval = 100 * time.Millisecond
)

// Options tune a Manager; zero fields take the defaults above.
type Options struct {
	// GarpCount is the number of announcement rounds after an add, each
	// a gratuitous request and a gratuitous reply.
	GarpCount int
	// GarpInterval separates the rounds; see announce.go for why 200 ms
	// need not exceed the 1 s neighbour locktime.
	GarpInterval time.Duration
	// ProbeCount duplicate probes are sent ProbeInterval apart, and
	// answers are awaited until ProbeInterval after the last: an absent
	// answer costs ProbeCount × ProbeInterval (200 ms by default), and
	// one lost frame is tolerated.
	ProbeCount    int
	ProbeInterval time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.GarpCount < 0 || o.GarpInterval < 0 || o.ProbeCount < 0 || o.ProbeInterval < 0 {
		return o, fmt.Errorf("%w: counts and intervals must not be negative: %+v", ErrBadOptions, o)
	}
	if o.GarpCount == 0 {
		o.GarpCount = DefaultGarpCount
	}
	if o.GarpInterval == 0 {
		o.GarpInterval = DefaultGarpInterval
	}
	if o.ProbeCount == 0 {
		o.ProbeCount = DefaultProbeCount
	}
	if o.ProbeInterval == 0 {
		o.ProbeInterval = DefaultProbeInterval
	}
	return o, nil
}

// Manager adds, removes and announces reader VIPs on one interface.
// It is safe for concurrent use; operations are serialized, because they
// share one ARP socket and each reads the answers to its own probes.
type Manager struct {
	ifname  string
	nl      Netlink
	conn    ARPConn
	opts    Options
	now     func() time.Time
	wait    func(ctx context.Context, d time.Duration) error // between GARP rounds
	closeFn func() error

	mu sync.Mutex
}

// New returns a Manager for interface ifname that works through nl and
// conn, which must both belong to that interface's network namespace (the
// test seam; Dial opens the real ones). New does no I/O.
func New(ifname string, nl Netlink, conn ARPConn, opts Options) (*Manager, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if ifname == "" || nl == nil || conn == nil {
		return nil, fmt.Errorf("%w: interface name, netlink and ARP connection are required", ErrBadOptions)
	}
	return &Manager{ifname: ifname, nl: nl, conn: conn, opts: o, now: time.Now, wait: sleep,
		closeFn: func() error { return nil }}, nil
}

// Dial opens a netlink handle and an ARP packet socket for interface
// ifname in the calling OS thread's network namespace, and returns a
// Manager using them. The sockets stay in that namespace whichever thread
// later uses them. The interface needs an IPv4 address of its own
// (mdlayher/arp refuses an interface without one). Close releases them.
func Dial(ifname string, opts Options) (*Manager, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("vip: netlink: %w", err)
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("vip: interface %s: %w", ifname, err)
	}
	c, err := arp.Dial(ifi)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("vip: ARP socket on %s: %w", ifname, err)
	}
	m, err := New(ifname, h, c, opts)
	if err != nil {
		h.Close()
		c.Close()
		return nil, err
	}
	m.closeFn = func() error {
		h.Close()
		return c.Close()
	}
	return m, nil
}

// Close releases the sockets Dial opened (nothing for New).
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closeFn()
}

// Interface is the name of the managed interface.
func (m *Manager) Interface() string { return m.ifname }

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// held is what the interface carries: its /32s (candidate VIPs) and its
// other IPv4 addresses with their prefix length.
type held struct {
	link  netlink.Link
	vips  map[netip.Addr]bool
	other map[netip.Addr]int
}

// dumpRetries bounds re-reads of an address dump the kernel flagged as
// interrupted (NLM_F_DUMP_INTR: the list changed while it was read).
const dumpRetries = 3

func (m *Manager) state(ctx context.Context) (held, error) {
	if err := ctx.Err(); err != nil {
		return held{}, fmt.Errorf("vip: %s: %w", m.ifname, err)
	}
	link, err := m.nl.LinkByName(m.ifname)
	if err != nil {
		return held{}, fmt.Errorf("vip: interface %s: %w", m.ifname, err)
	}
	var addrs []netlink.Addr
	for i := 0; ; i++ {
		addrs, err = m.nl.AddrList(link, netlink.FAMILY_V4)
		if !errors.Is(err, netlink.ErrDumpInterrupted) || i == dumpRetries {
			break
		}
	}
	if err != nil {
		return held{}, fmt.Errorf("vip: addresses of %s: %w", m.ifname, err)
	}
	h := held{link: link, vips: map[netip.Addr]bool{}, other: map[netip.Addr]int{}}
	for _, a := range addrs {
		if a.IPNet == nil {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ones, bits := a.Mask.Size(); ones == 32 && bits == 32 {
			h.vips[ip] = true
		} else {
			h.other[ip] = ones
		}
	}
	return h, nil
}

// check refuses ip if it is not IPv4, or if it sits on the interface with a
// wider prefix (a host address).
func (h held) check(ip netip.Addr) error {
	if !ip.Is4() {
		return fmt.Errorf("%w: %s", ErrNotIPv4, ip)
	}
	if bits, ok := h.other[ip]; ok && !h.vips[ip] {
		return fmt.Errorf("%w: %s/%d on %s", ErrNotVIP, ip, bits, h.link.Attrs().Name)
	}
	return nil
}

func vipAddr(ip netip.Addr) *netlink.Addr {
	return &netlink.Addr{IPNet: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(32, 32)}}
}

// List returns those of candidates that the interface holds as /32, in
// the order given.
func (m *Manager) List(ctx context.Context, candidates []netip.Addr) ([]netip.Addr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.state(ctx)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, ip := range dedup(candidates) {
		if h.vips[ip] {
			out = append(out, ip)
		}
	}
	return out, nil
}

// Add probes that no other host answers for ip, adds ip/32 to the
// interface and announces it. It reports whether it added ip: an ip
// already held as /32 is left alone, unannounced (use Announce). A
// *DuplicateError means another host answered; nothing was changed. An
// error with added true means the address is on but its announcement
// failed or was cut short by ctx. Add takes about ProbeCount×ProbeInterval
// + (GarpCount-1)×GarpInterval (1 s by default).
func (m *Manager) Add(ctx context.Context, ip netip.Addr) (added bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.state(ctx)
	if err != nil {
		return false, err
	}
	if err := h.check(ip); err != nil {
		return false, err
	}
	if h.vips[ip] {
		return false, nil
	}
	done, err := m.addAll(ctx, h.link, []netip.Addr{ip})
	return len(done) > 0, err
}

// Remove deletes ip/32 from the interface and reports whether it was
// there. It refuses an ip held with another prefix (ErrNotVIP), so the
// host's own address survives a misconfigured VIP list.
func (m *Manager) Remove(ctx context.Context, ip netip.Addr) (removed bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, err := m.state(ctx)
	if err != nil {
		return false, err
	}
	if err := h.check(ip); err != nil {
		return false, err
	}
	if !h.vips[ip] {
		return false, nil
	}
	return m.remove(h.link, ip)
}

func (m *Manager) remove(link netlink.Link, ip netip.Addr) (bool, error) {
	err := m.nl.AddrDel(link, vipAddr(ip))
	switch {
	case errors.Is(err, unix.EADDRNOTAVAIL): // gone meanwhile
		return false, nil
	case err != nil:
		return false, fmt.Errorf("vip: remove %s/32 from %s: %w", ip, m.ifname, err)
	}
	return true, nil
}

func dedup(ips []netip.Addr) []netip.Addr {
	seen := make(map[netip.Addr]bool, len(ips))
	out := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		if !seen[ip] {
			seen[ip] = true
			out = append(out, ip)
		}
	}
	return out
}
