package vip

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

var errBoom = errors.New("boom")

func TestAdd(t *testing.T) {
	tests := []struct {
		name      string
		addrs     []string
		stale     []*arp.Packet                // queued before the probe
		answers   map[netip.Addr][]*arp.Packet // to the probe
		setup     func(*fakeNetlink, *fakeARP)
		ip        netip.Addr
		wantAdded bool
		wantErr   error // errors.Is
		wantDup   *DuplicateError
		wantAddrs []string // on the interface afterwards
		probes    int      // probe frames sent
		garps     int      // announcement frames sent
	}{
		{
			name:      "free: probed, added, announced",
			addrs:     []string{"198.18.0.12/24"},
			ip:        vip1,
			wantAdded: true,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.101/32"},
			probes:    2, garps: 10,
		},
		{
			name:      "already held: nothing sent",
			addrs:     []string{"198.18.0.12/24", "198.18.0.101/32"},
			ip:        vip1,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.101/32"},
		},
		{
			name:      "held with a wider prefix: a host address, refused",
			addrs:     []string{"198.18.0.101/24"},
			ip:        vip1,
			wantErr:   ErrNotVIP,
			wantAddrs: []string{"198.18.0.101/24"},
		},
		{
			name:      "duplicate: another MAC answers the probe",
			addrs:     []string{"198.18.0.12/24"},
			answers:   map[netip.Addr][]*arp.Packet{vip1: {answer(otherMAC, vip1)}},
			ip:        vip1,
			wantErr:   ErrDuplicate,
			wantDup:   &DuplicateError{IP: vip1, MAC: otherMAC},
			wantAddrs: []string{"198.18.0.12/24"},
			probes:    1, // no second probe once the answer is in
		},
		{
			name:      "duplicate: another host probes for the same address",
			addrs:     []string{"198.18.0.12/24"},
			answers:   map[netip.Addr][]*arp.Packet{vip1: {request(arp.OperationRequest, otherMAC, netip.IPv4Unspecified(), vip1)}},
			ip:        vip1,
			wantErr:   ErrDuplicate,
			wantDup:   &DuplicateError{IP: vip1, MAC: otherMAC, Probing: true},
			wantAddrs: []string{"198.18.0.12/24"},
			probes:    1,
		},
		{
			name:  "no answer within the window: free (own echo and unrelated ARP ignored)",
			addrs: []string{"198.18.0.12/24"},
			answers: map[netip.Addr][]*arp.Packet{vip1: {
				request(arp.OperationRequest, ourMAC, netip.IPv4Unspecified(), vip1), // our probe, echoed
				request(arp.OperationRequest, otherMAC, clientIP, vip1),              // a client resolving it
				answer(otherMAC, vip2), // about another address
			}},
			ip:        vip1,
			wantAdded: true,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.101/32"},
			probes:    2, garps: 10,
		},
		{
			name:      "stale frames queued before the probe are discarded",
			addrs:     []string{"198.18.0.12/24"},
			stale:     []*arp.Packet{answer(otherMAC, vip1)},
			ip:        vip1,
			wantAdded: true,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.101/32"},
			probes:    2, garps: 10,
		},
		{
			name:      "netlink add fails: not announced",
			addrs:     []string{"198.18.0.12/24"},
			setup:     func(nl *fakeNetlink, _ *fakeARP) { nl.addErr = errBoom },
			ip:        vip1,
			wantErr:   errBoom,
			wantAddrs: []string{"198.18.0.12/24"},
			probes:    2,
		},
		{
			name:      "added by someone else meanwhile: theirs to announce",
			addrs:     []string{"198.18.0.12/24"},
			setup:     func(nl *fakeNetlink, _ *fakeARP) { nl.addErr = unix.EEXIST },
			ip:        vip1,
			wantAddrs: []string{"198.18.0.12/24"},
			probes:    2,
		},
		{
			name:      "announcement cannot be sent: added, and the error says so",
			addrs:     []string{"198.18.0.12/24"},
			setup:     func(_ *fakeNetlink, c *fakeARP) { c.garpErr = errBoom },
			ip:        vip1,
			wantAdded: true,
			wantErr:   errBoom,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.101/32"},
			probes:    2,
		},
		{
			name:      "probe cannot be sent: not added",
			addrs:     []string{"198.18.0.12/24"},
			setup:     func(_ *fakeNetlink, c *fakeARP) { c.writeErr = errBoom },
			ip:        vip1,
			wantErr:   errBoom,
			wantAddrs: []string{"198.18.0.12/24"},
		},
		{
			name:      "socket read fails: not added",
			addrs:     []string{"198.18.0.12/24"},
			setup:     func(_ *fakeNetlink, c *fakeARP) { c.readErr = errBoom },
			ip:        vip1,
			wantErr:   errBoom,
			wantAddrs: []string{"198.18.0.12/24"},
		},
		{
			name:  "the socket's error from a past link down is skipped",
			addrs: []string{"198.18.0.12/24"},
			setup: func(_ *fakeNetlink, c *fakeARP) {
				down := &net.OpError{Op: "read", Err: os.NewSyscallError("recvfrom", unix.ENETDOWN)}
				c.readOnce, c.probeErr = []error{down}, down // seen while draining, then while collecting
			},
			answers:   map[netip.Addr][]*arp.Packet{vip1: {answer(otherMAC, vip1)}},
			ip:        vip1,
			wantErr:   ErrDuplicate,
			wantDup:   &DuplicateError{IP: vip1, MAC: otherMAC},
			wantAddrs: []string{"198.18.0.12/24"},
			probes:    1,
		},
		{
			name:      "interface missing",
			addrs:     []string{"198.18.0.12/24"},
			setup:     func(nl *fakeNetlink, _ *fakeARP) { nl.linkErr = errBoom },
			ip:        vip1,
			wantErr:   errBoom,
			wantAddrs: []string{"198.18.0.12/24"},
		},
		{
			name:      "address dump interrupted: retried",
			addrs:     []string{"198.18.0.12/24", "198.18.0.101/32"},
			setup:     func(nl *fakeNetlink, _ *fakeARP) { nl.interrupted = 2 },
			ip:        vip1,
			wantAddrs: []string{"198.18.0.12/24", "198.18.0.101/32"},
		},
		{
			name:      "not IPv4",
			ip:        netip.MustParseAddr("2001:db8::1"),
			wantErr:   ErrNotIPv4,
			wantAddrs: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nl := newFakeNetlink(tt.addrs...)
			conn := &fakeARP{queued: tt.stale, answers: tt.answers}
			if tt.setup != nil {
				tt.setup(nl, conn)
			}
			m, _ := newTestManager(t, nl, conn, Options{})
			added, err := m.Add(context.Background(), tt.ip)
			if added != tt.wantAdded {
				t.Errorf("added = %v, want %v", added, tt.wantAdded)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantDup != nil {
				var d *DuplicateError
				if !errors.As(err, &d) || d.IP != tt.wantDup.IP || !bytes.Equal(d.MAC, tt.wantDup.MAC) || d.Probing != tt.wantDup.Probing {
					t.Errorf("err = %#v, want %#v", err, tt.wantDup)
				}
			}
			if got := addrStrings(nl); !slices.Equal(got, tt.wantAddrs) {
				t.Errorf("addresses = %v, want %v", got, tt.wantAddrs)
			}
			if got := len(conn.probes()); got != tt.probes {
				t.Errorf("%d probe frames, want %d", got, tt.probes)
			}
			if got := len(conn.announced()); got != tt.garps {
				t.Errorf("%d announcement frames, want %d", got, tt.garps)
			}
		})
	}
}

func addrStrings(nl *fakeNetlink) []string {
	var out []string
	for _, p := range nl.addrs {
		out = append(out, p.String())
	}
	return out
}

// TestProbeFrame checks the RFC 5227 probe: sender IP 0.0.0.0, our MAC,
// target MAC zero, to broadcast.
func TestProbeFrame(t *testing.T) {
	nl, conn := newFakeNetlink("198.18.0.12/24"), &fakeARP{}
	m, _ := newTestManager(t, nl, conn, Options{ProbeCount: 3})
	if err := m.Probe(context.Background(), vip1); err != nil {
		t.Fatal(err)
	}
	if len(conn.sent) != 3 {
		t.Fatalf("sent %d frames, want 3 probes", len(conn.sent))
	}
	for _, fr := range conn.sent {
		p := fr.p
		if p.Operation != arp.OperationRequest || p.SenderIP != netip.IPv4Unspecified() || p.TargetIP != vip1 ||
			!bytes.Equal(p.SenderHardwareAddr, ourMAC) || !bytes.Equal(p.TargetHardwareAddr, zeroMAC) ||
			!bytes.Equal(fr.to, ethernet.Broadcast) {
			t.Errorf("probe %+v to %s", p, fr.to)
		}
	}
	if len(nl.added) != 0 {
		t.Errorf("Probe added %v", nl.added)
	}
}

func TestProbeFindsDuplicateOfHeldAddress(t *testing.T) {
	nl := newFakeNetlink("198.18.0.12/24", "198.18.0.101/32")
	conn := &fakeARP{answers: map[netip.Addr][]*arp.Packet{vip1: {answer(otherMAC, vip1)}}}
	m, _ := newTestManager(t, nl, conn, Options{})
	var d *DuplicateError
	if err := m.Probe(context.Background(), vip1); !errors.As(err, &d) || !bytes.Equal(d.MAC, otherMAC) {
		t.Fatalf("Probe = %v, want a duplicate from %s", err, otherMAC)
	}
}

// TestAnnounceFrames checks the gratuitous pair and the rounds: a request
// and a reply per round, sender = target = the VIP, our MAC, broadcast;
// the reply's target MAC is ours (what Linux's arp_is_garp requires).
func TestAnnounceFrames(t *testing.T) {
	nl, conn := newFakeNetlink("198.18.0.12/24", "198.18.0.101/32"), &fakeARP{}
	m, w := newTestManager(t, nl, conn, Options{GarpCount: 3, GarpInterval: 250 * time.Millisecond})
	if err := m.Announce(context.Background(), vip1); err != nil {
		t.Fatal(err)
	}
	if len(conn.sent) != 6 {
		t.Fatalf("sent %d frames, want 3 rounds × 2", len(conn.sent))
	}
	for i, fr := range conn.sent {
		p := fr.p
		wantOp, wantTHA := arp.OperationRequest, zeroMAC
		if i%2 == 1 {
			wantOp, wantTHA = arp.OperationReply, ourMAC
		}
		if p.Operation != wantOp || p.SenderIP != vip1 || p.TargetIP != vip1 ||
			!bytes.Equal(p.SenderHardwareAddr, ourMAC) || !bytes.Equal(p.TargetHardwareAddr, wantTHA) ||
			!bytes.Equal(fr.to, ethernet.Broadcast) {
			t.Errorf("frame %d: %+v to %s", i, p, fr.to)
		}
	}
	if want := (waits{250 * time.Millisecond, 250 * time.Millisecond}); !slices.Equal(*w, want) {
		t.Errorf("waits %v, want %v", *w, want)
	}
}

func TestAnnounceRefusesAddressNotHeld(t *testing.T) {
	for _, addrs := range [][]string{{"198.18.0.12/24"}, {"198.18.0.101/24"}} {
		conn := &fakeARP{}
		m, _ := newTestManager(t, newFakeNetlink(addrs...), conn, Options{})
		err := m.Announce(context.Background(), vip1)
		if !errors.Is(err, ErrNotHeld) && !errors.Is(err, ErrNotVIP) {
			t.Errorf("%v: Announce = %v, want ErrNotHeld or ErrNotVIP", addrs, err)
		}
		if len(conn.sent) != 0 {
			t.Errorf("%v: sent %d frames", addrs, len(conn.sent))
		}
	}
}

func TestAddAnnouncementCutShort(t *testing.T) {
	nl, conn := newFakeNetlink("198.18.0.12/24"), &fakeARP{}
	m, _ := newTestManager(t, nl, conn, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	m.wait = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	added, err := m.Add(ctx, vip1)
	if !added || !errors.Is(err, context.Canceled) {
		t.Fatalf("Add = %v, %v; want added with a cancelled announcement", added, err)
	}
	if n := len(conn.announced()); n != 2 {
		t.Errorf("%d announcement frames, want the first round (2)", n)
	}
}

func TestContextBoundsEveryOperation(t *testing.T) {
	nl := newFakeNetlink("198.18.0.12/24", "198.18.0.102/32")
	conn := &fakeARP{}
	m, _ := newTestManager(t, nl, conn, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Add(ctx, vip1); !errors.Is(err, context.Canceled) {
		t.Errorf("Add = %v", err)
	}
	if _, err := m.Remove(ctx, vip2); !errors.Is(err, context.Canceled) {
		t.Errorf("Remove = %v", err)
	}
	if _, err := m.Reconcile(ctx, nil, []netip.Addr{vip1, vip2}); !errors.Is(err, context.Canceled) {
		t.Errorf("Reconcile = %v", err)
	}
	if err := m.Probe(ctx, vip1); !errors.Is(err, context.Canceled) {
		t.Errorf("Probe = %v", err)
	}
	if len(nl.added)+len(nl.deleted)+len(conn.sent) != 0 {
		t.Errorf("changed with a cancelled context: added %v, deleted %v, sent %d", nl.added, nl.deleted, len(conn.sent))
	}
}

// TestProbeStopsAtContextDeadline: a deadline inside the probe window is
// an error, not "free" (nobody could have answered yet).
func TestProbeStopsAtContextDeadline(t *testing.T) {
	nl, conn := newFakeNetlink("198.18.0.12/24"), &fakeARP{}
	m, _ := newTestManager(t, nl, conn, Options{ProbeInterval: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := m.Add(ctx, vip1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add = %v, want the context's deadline", err)
	}
	if len(nl.added) != 0 {
		t.Errorf("added %v", nl.added)
	}
}

func TestRemove(t *testing.T) {
	tests := []struct {
		name        string
		addrs       []string
		delErr      error
		ip          netip.Addr
		wantRemoved bool
		wantErr     error
		wantAddrs   []string
	}{
		{"held: deleted", []string{"198.18.0.12/24", "198.18.0.101/32"}, nil, vip1, true, nil, []string{"198.18.0.12/24"}},
		{"absent: nothing", []string{"198.18.0.12/24"}, nil, vip1, false, nil, []string{"198.18.0.12/24"}},
		{"the host's own address: refused", []string{"198.18.0.12/24"}, nil, hostIP, false, ErrNotVIP, []string{"198.18.0.12/24"}},
		{"netlink fails", []string{"198.18.0.101/32"}, errBoom, vip1, false, errBoom, []string{"198.18.0.101/32"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nl := newFakeNetlink(tt.addrs...)
			nl.delErr = tt.delErr
			m, _ := newTestManager(t, nl, &fakeARP{}, Options{})
			removed, err := m.Remove(context.Background(), tt.ip)
			if removed != tt.wantRemoved || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Remove = %v, %v; want %v, %v", removed, err, tt.wantRemoved, tt.wantErr)
			}
			if got := addrStrings(nl); !slices.Equal(got, tt.wantAddrs) {
				t.Errorf("addresses = %v, want %v", got, tt.wantAddrs)
			}
		})
	}
}

func TestRemoveGoneMeanwhile(t *testing.T) {
	nl := newFakeNetlink("198.18.0.101/32")
	m, _ := newTestManager(t, &vanishing{nl}, &fakeARP{}, Options{})
	if removed, err := m.Remove(context.Background(), vip1); removed || err != nil {
		t.Fatalf("Remove = %v, %v; want false, nil", removed, err)
	}
}

// vanishing loses every address between the list and the delete.
type vanishing struct{ *fakeNetlink }

func (v *vanishing) AddrDel(l netlink.Link, a *netlink.Addr) error {
	v.addrs = nil
	return v.fakeNetlink.AddrDel(l, a)
}

func TestList(t *testing.T) {
	nl := newFakeNetlink("198.18.0.12/24", "198.18.0.103/32", "198.18.0.100/32", "198.18.0.101/32", "198.18.0.102/24")
	m, _ := newTestManager(t, nl, &fakeARP{}, Options{})
	got, err := m.List(context.Background(), []netip.Addr{vip1, vip2, vip3, vip1})
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.Addr{vip1, vip3}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v (candidates held as /32, in the order given)", got, want)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{GarpCount: -1}, {GarpInterval: -time.Second}, {ProbeCount: -1}, {ProbeInterval: -1}} {
		if _, err := New("eth0", newFakeNetlink(), &fakeARP{}, o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("New(%+v) = %v, want ErrBadOptions", o, err)
		}
	}
	if _, err := New("", newFakeNetlink(), &fakeARP{}, Options{}); !errors.Is(err, ErrBadOptions) {
		t.Errorf("New without an interface = %v", err)
	}
	m, err := New("eth0", newFakeNetlink(), &fakeARP{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Options{DefaultGarpCount, DefaultGarpInterval, DefaultProbeCount, DefaultProbeInterval}
	if m.opts != want {
		t.Errorf("defaults %+v, want %+v", m.opts, want)
	}
}

func TestDuplicateErrorNamesIPAndMAC(t *testing.T) {
	for _, d := range []*DuplicateError{{IP: vip1, MAC: otherMAC}, {IP: vip1, MAC: otherMAC, Probing: true}} {
		msg := d.Error()
		if !strings.Contains(msg, vip1.String()) || !strings.Contains(msg, otherMAC.String()) || !strings.HasPrefix(msg, "vip: ") {
			t.Errorf("%q does not name %s and %s", msg, vip1, otherMAC)
		}
	}
}
