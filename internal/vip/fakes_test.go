package vip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

var (
	ourMAC   = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
	otherMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	vip1     = netip.MustParseAddr("198.18.0.101")
	vip2     = netip.MustParseAddr("198.18.0.102")
	vip3     = netip.MustParseAddr("198.18.0.103")
	writer   = netip.MustParseAddr("198.18.0.100")
	hostIP   = netip.MustParseAddr("198.18.0.12")
	clientIP = netip.MustParseAddr("198.18.0.50")
)

// fakeNetlink is an interface with a list of addresses.
type fakeNetlink struct {
	link        netlink.Link
	addrs       []netip.Prefix
	interrupted int // AddrList answers ErrDumpInterrupted this many times first
	linkErr     error
	listErr     error
	addErr      error
	delErr      error
	added       []netip.Addr
	deleted     []netip.Addr
}

func newFakeNetlink(prefixes ...string) *fakeNetlink {
	f := &fakeNetlink{link: &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "eth0", Index: 2, HardwareAddr: ourMAC}}}
	for _, p := range prefixes {
		f.addrs = append(f.addrs, netip.MustParsePrefix(p))
	}
	return f
}

func (f *fakeNetlink) LinkByName(name string) (netlink.Link, error) {
	if f.linkErr != nil {
		return nil, f.linkErr
	}
	if name != f.link.Attrs().Name {
		return nil, netlink.LinkNotFoundError{}
	}
	return f.link, nil
}

func (f *fakeNetlink) AddrList(_ netlink.Link, family int) ([]netlink.Addr, error) {
	if family != netlink.FAMILY_V4 {
		return nil, fmt.Errorf("fake: family %d", family)
	}
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []netlink.Addr
	for _, p := range f.addrs {
		out = append(out, netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}})
	}
	if f.interrupted > 0 {
		f.interrupted--
		return out[:0], netlink.ErrDumpInterrupted
	}
	return out, nil
}

func prefixOf(a *netlink.Addr) netip.Prefix {
	ip, _ := netip.AddrFromSlice(a.IP)
	ones, _ := a.Mask.Size()
	return netip.PrefixFrom(ip.Unmap(), ones)
}

func (f *fakeNetlink) AddrAdd(_ netlink.Link, a *netlink.Addr) error {
	if f.addErr != nil {
		return f.addErr
	}
	p := prefixOf(a)
	if slices.Contains(f.addrs, p) {
		return unix.EEXIST
	}
	f.addrs = append(f.addrs, p)
	f.added = append(f.added, p.Addr())
	return nil
}

func (f *fakeNetlink) AddrDel(_ netlink.Link, a *netlink.Addr) error {
	if f.delErr != nil {
		return f.delErr
	}
	p := prefixOf(a)
	i := slices.Index(f.addrs, p)
	if i < 0 {
		return unix.EADDRNOTAVAIL
	}
	f.addrs = slices.Delete(f.addrs, i, i+1)
	f.deleted = append(f.deleted, p.Addr())
	return nil
}

type frame struct {
	p  *arp.Packet
	to net.HardwareAddr
}

// fakeARP is an ARP socket: Read returns what is queued, then a deadline
// error at once (so no test waits); writing a probe for an address queues
// the answers scripted for it.
type fakeARP struct {
	queued    []*arp.Packet
	answers   map[netip.Addr][]*arp.Packet
	sent      []frame
	writeErr  error
	garpErr   error // fails announcement writes only
	readErr   error
	readOnce  []error // returned by the next reads, one each
	probeErr  error   // joins readOnce when the first probe is written
	deadlines int
}

func (f *fakeARP) WriteTo(p *arp.Packet, to net.HardwareAddr) error {
	if f.writeErr != nil {
		return f.writeErr
	}
	if f.garpErr != nil && !p.SenderIP.IsUnspecified() {
		return f.garpErr
	}
	f.sent = append(f.sent, frame{p, to})
	if p.SenderIP.IsUnspecified() {
		if f.probeErr != nil {
			f.readOnce, f.probeErr = append(f.readOnce, f.probeErr), nil
		}
		f.queued = append(f.queued, f.answers[p.TargetIP]...)
		delete(f.answers, p.TargetIP) // one answer per address suffices
	}
	return nil
}

func (f *fakeARP) Read() (*arp.Packet, *ethernet.Frame, error) {
	if f.readErr != nil {
		return nil, nil, f.readErr
	}
	if len(f.readOnce) > 0 {
		err := f.readOnce[0]
		f.readOnce = f.readOnce[1:]
		return nil, nil, err
	}
	if len(f.queued) == 0 {
		return nil, nil, &net.OpError{Op: "read", Net: "packet", Err: os.ErrDeadlineExceeded}
	}
	p := f.queued[0]
	f.queued = f.queued[1:]
	return p, nil, nil
}

func (f *fakeARP) SetDeadline(time.Time) error { f.deadlines++; return nil }

func (f *fakeARP) probes() []*arp.Packet    { return f.filter(true) }
func (f *fakeARP) announced() []*arp.Packet { return f.filter(false) }

func (f *fakeARP) filter(probes bool) []*arp.Packet {
	var out []*arp.Packet
	for _, fr := range f.sent {
		if fr.p.SenderIP.IsUnspecified() == probes {
			out = append(out, fr.p)
		}
	}
	return out
}

// answer is an ARP reply from mac for ip, as a host holding ip sends to a
// probe.
func answer(mac net.HardwareAddr, ip netip.Addr) *arp.Packet {
	p, err := arp.NewPacket(arp.OperationReply, mac, ip, ourMAC, netip.IPv4Unspecified())
	if err != nil {
		panic(err)
	}
	return p
}

func request(op arp.Operation, mac net.HardwareAddr, from, target netip.Addr) *arp.Packet {
	p, err := arp.NewPacket(op, mac, from, net.HardwareAddr{0, 0, 0, 0, 0, 0}, target)
	if err != nil {
		panic(err)
	}
	return p
}

// waits records the pauses between GARP rounds instead of sleeping.
type waits []time.Duration

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	*w = append(*w, d)
	return ctx.Err()
}

func newTestManager(t *testing.T, nl Netlink, conn *fakeARP, opts Options) (*Manager, *waits) {
	t.Helper()
	m, err := New("eth0", nl, conn, opts)
	if err != nil {
		t.Fatal(err)
	}
	w := &waits{}
	m.wait = w.wait
	return m, w
}
