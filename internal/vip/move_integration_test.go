//go:build integration

package vip

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestReaderVIPMove moves a reader VIP between two hosts in network
// namespaces and watches a client's neighbour table:
//   - Add on A: the address is on eth0, and a client that connects to it
//     learns A's MAC;
//   - Add on B while A holds it: refused, naming A's MAC;
//   - A goes silent (link down; the address stays, as after a crash), Add
//     on B: the client's entry points at B within 2 s (the time is logged);
//   - A comes back holding the address: B's Probe reports the duplicate,
//     and Reconcile on A removes it but leaves A's own address and a writer
//     VIP alone;
//   - the VIP moves back to A less than 1 s after the client's entry last
//     changed: the client follows at once, i.e. a gratuitous ARP is taken
//     inside the 1 s neighbour locktime (the GARP timing in announce.go);
//   - Remove deletes it.
func TestReaderVIPMove(t *testing.T) {
	setUpTopology(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	vip := netip.MustParseAddr("198.18.0.101")
	writerVIP := netip.MustParsePrefix("198.18.0.100/32")
	managed := []netip.Addr{vip, netip.MustParseAddr("198.18.0.102")}
	a := dialManager(t, hostA, Options{})
	b := dialManager(t, hostB, Options{})
	nlA, nlB, nlC := nlHandle(t, hostA.ns), nlHandle(t, hostB.ns), nlHandle(t, client.ns)

	// Add on A; the client connects and learns A's MAC.
	if added, err := a.Add(ctx, vip); !added || err != nil {
		t.Fatalf("A: Add = %v, %v", added, err)
	}
	if got, err := a.List(ctx, managed); err != nil || !slices.Equal(got, []netip.Addr{vip}) {
		t.Fatalf("A: List = %v, %v", got, err)
	}
	connect(t, client, listen(t, hostA, vip))
	if n := neighbour(t, nlC, vip); n == nil || n.HardwareAddr.String() != hostA.mac.String() {
		t.Fatalf("client's entry for %s after connecting: %v, want %s", vip, n, hostA.mac)
	}

	// B must not take it while A answers.
	added, err := b.Add(ctx, vip)
	var dup *DuplicateError
	if added || !errors.As(err, &dup) || dup.IP != vip || dup.MAC.String() != hostA.mac.String() {
		t.Fatalf("B: Add while A holds %s = %v, %v; want a duplicate naming %s", vip, added, err, hostA.mac)
	}
	if got, _ := b.List(ctx, managed); len(got) != 0 {
		t.Fatalf("B holds %v after a refused Add", got)
	}

	// A goes silent, B takes over; time until the client points at B.
	ipCmd(t, "-n", hostA.ns, "link", "set", "eth0", "down")
	start := time.Now()
	addDone := make(chan error, 1)
	go func() {
		added, err := b.Add(ctx, vip)
		if err == nil && !added {
			err = errors.New("not added")
		}
		addDone <- err
	}()
	switched, ok := waitNeighbour(t, nlC, vip, hostB.mac, 2*time.Second)
	if err := <-addDone; err != nil {
		t.Fatalf("B: Add after A went silent: %v", err)
	}
	addTook := time.Since(start)
	if !ok {
		t.Fatalf("client's entry for %s still %v 2 s after Add on B", vip, neighbour(t, nlC, vip))
	}
	t.Logf("A→B: client's neighbour entry pointed at B %v after Add on B started (probe window %v); Add returned after %v",
		switched.Sub(start).Round(time.Millisecond), DefaultProbeCount*DefaultProbeInterval, addTook.Round(time.Millisecond))

	// A comes back still holding the address: a duplicate, which B's
	// Probe sees and A's Reconcile removes; A's own address and a writer
	// VIP (keepalived's) are not in the managed set and stay.
	link, err := nlA.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if err := nlA.AddrAdd(link, &netlink.Addr{IPNet: netlink.NewIPNet(writerVIP.Addr().AsSlice())}); err != nil {
		t.Fatal(err)
	}
	ipCmd(t, "-n", hostA.ns, "link", "set", "eth0", "up")
	if err := b.Probe(ctx, vip); !errors.As(err, &dup) || dup.MAC.String() != hostA.mac.String() {
		t.Fatalf("B: Probe with A back = %v; want a duplicate naming %s", err, hostA.mac)
	}
	res, err := a.Reconcile(ctx, nil, managed)
	if err != nil || !slices.Equal(res.Removed, []netip.Addr{vip}) || len(res.Added) != 0 {
		t.Fatalf("A: Reconcile = %+v, %v; want %s removed", res, err, vip)
	}
	if got := addrsOf(t, nlA); !slices.Equal(got, []string{hostA.addr.String(), writerVIP.String()}) {
		t.Fatalf("A's addresses after Reconcile: %v; want its own and the writer VIP", got)
	}
	if err := b.Probe(ctx, vip); err != nil {
		t.Fatalf("B: Probe after A's Reconcile = %v", err)
	}

	// The client talks to B (reachable after the move), which also makes
	// its entry change now; then the VIP moves back within the locktime.
	connect(t, client, listen(t, hostB, vip))
	before := neighbour(t, nlC, vip)
	readAt := time.Now()
	if removed, err := b.Remove(ctx, vip); !removed || err != nil {
		t.Fatalf("B: Remove = %v, %v", removed, err)
	}
	start = time.Now()
	go func() {
		added, err := a.Add(ctx, vip)
		if err == nil && !added {
			err = errors.New("not added")
		}
		addDone <- err
	}()
	switched, ok = waitNeighbour(t, nlC, vip, hostA.mac, 2*time.Second)
	if err := <-addDone; err != nil {
		t.Fatalf("A: Add back = %v", err)
	}
	if !ok {
		t.Fatalf("client's entry for %s still %v 2 s after Add on A", vip, neighbour(t, nlC, vip))
	}
	// Updated is in USER_HZ ticks (100 per second) before readAt.
	lastChange := readAt.Add(-time.Duration(before.Updated) * 10 * time.Millisecond)
	sinceChange := switched.Sub(lastChange)
	t.Logf("B→A: client's entry pointed at A %v after Add on A started, %v after the entry last changed (state %#x)",
		switched.Sub(start).Round(time.Millisecond), sinceChange.Round(time.Millisecond), before.State)
	if sinceChange >= time.Second {
		t.Errorf("the move back reached the client %v after its entry last changed: the locktime held the announcement back (not a GARP to Linux?), or the run was too slow to tell", sinceChange)
	}

	// Remove deletes it.
	if removed, err := a.Remove(ctx, vip); !removed || err != nil {
		t.Fatalf("A: Remove = %v, %v", removed, err)
	}
	if got := addrsOf(t, nlA); slices.Contains(got, netip.PrefixFrom(vip, 32).String()) {
		t.Fatalf("A still has %s: %v", vip, got)
	}
	if got := addrsOf(t, nlB); !slices.Equal(got, []string{hostB.addr.String()}) {
		t.Fatalf("B's addresses at the end: %v", got)
	}
}

func addrsOf(t *testing.T, nl *netlink.Handle) []string {
	t.Helper()
	link, err := nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := nl.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		out = append(out, a.IPNet.String())
	}
	return out
}
