//go:build integration

package vip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The throwaway topology: namespaces mmmv-a, mmmv-b (database hosts),
// mmmv-c (client), each with eth0 on a bridge in mmmv-br. Addresses only
// in 198.18.0.0/24, IPv6 off, no default route, no link to the root
// namespace. The prefix differs from test/lab's ("mmm", "mmmt").
const nsPrefix = "mmmv-"

type nsHost struct {
	ns   string
	addr netip.Prefix
	mac  net.HardwareAddr
}

var (
	hostA  = nsHost{nsPrefix + "a", netip.MustParsePrefix("198.18.0.11/24"), net.HardwareAddr{0x02, 0, 0, 0x76, 0, 0x0a}}
	hostB  = nsHost{nsPrefix + "b", netip.MustParsePrefix("198.18.0.12/24"), net.HardwareAddr{0x02, 0, 0, 0x76, 0, 0x0b}}
	client = nsHost{nsPrefix + "c", netip.MustParsePrefix("198.18.0.50/24"), net.HardwareAddr{0x02, 0, 0, 0x76, 0, 0x0c}}
	bridge = nsPrefix + "br"
	labNet = netip.MustParsePrefix("198.18.0.0/24")
)

// setUpTopology builds the topology, or skips the test with the reason it
// cannot. Everything is deleted when the test ends, also on failure, and
// leftovers of an earlier crashed run are deleted first.
func setUpTopology(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, a bridge and veth pairs")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip to create named network namespaces")
	}
	deleteLeftovers(t)
	t.Cleanup(func() { deleteLeftovers(t) })

	ipCmd(t, "netns", "add", bridge)
	ipCmd(t, "-n", bridge, "link", "add", "br0", "type", "bridge")
	ipCmd(t, "-n", bridge, "link", "set", "br0", "up")
	for i, h := range []nsHost{hostA, hostB, client} {
		if !labNet.Contains(h.addr.Addr()) {
			t.Fatalf("%s is outside %s", h.addr, labNet)
		}
		port := fmt.Sprintf("p%d", i)
		ipCmd(t, "netns", "add", h.ns)
		inNamespace(t, h.ns, disableIPv6)
		ipCmd(t, "-n", bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", h.ns)
		ipCmd(t, "-n", bridge, "link", "set", port, "master", "br0", "up")
		ipCmd(t, "-n", h.ns, "link", "set", "eth0", "address", h.mac.String())
		ipCmd(t, "-n", h.ns, "addr", "add", h.addr.String(), "dev", "eth0")
		ipCmd(t, "-n", h.ns, "link", "set", "eth0", "up")
		ipCmd(t, "-n", h.ns, "link", "set", "lo", "up")
	}
	for _, h := range []nsHost{hostA, hostB, client} {
		nl := nlHandle(t, h.ns)
		if a, err := nl.AddrList(nil, netlink.FAMILY_V6); err != nil || len(a) > 0 {
			t.Fatalf("%s: IPv6 addresses %v, %v: IPv6 must be off", h.ns, a, err)
		}
		if r, err := nl.RouteList(nil, netlink.FAMILY_V4); err != nil {
			t.Fatal(err)
		} else {
			for _, rt := range r {
				if rt.Dst == nil || rt.Gw != nil {
					t.Fatalf("%s: unexpected route %v", h.ns, rt)
				}
			}
		}
	}
}

// disableIPv6 turns IPv6 off in the current thread's namespace, so that no
// link-local address or router solicitation ever exists.
func disableIPv6() error {
	for _, f := range []string{"all", "default"} {
		p := filepath.Join("/proc/sys/net/ipv6/conf", f, "disable_ipv6")
		if err := os.WriteFile(p, []byte("1"), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func deleteLeftovers(t *testing.T) {
	entries, err := os.ReadDir("/run/netns")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("list namespaces: %v", err)
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), nsPrefix) {
			if out, err := exec.Command("ip", "netns", "delete", e.Name()).CombinedOutput(); err != nil {
				t.Errorf("ip netns delete %s: %v: %s", e.Name(), err, out)
			}
		}
	}
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// inNamespace runs fn on an OS thread switched into namespace ns, so that
// the sockets fn opens belong to ns. If switching back fails the thread
// stays locked and is discarded with its goroutine.
func inNamespace(t *testing.T, ns string, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		origin, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer origin.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		ferr := fn()
		if err := netns.Set(origin); err != nil {
			errc <- errors.Join(ferr, err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	if err := <-errc; err != nil {
		t.Fatalf("in %s: %v", ns, err)
	}
}

// nlHandle is a netlink handle inside ns, closed when the test ends.
func nlHandle(t *testing.T, ns string) *netlink.Handle {
	t.Helper()
	nsh, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer nsh.Close()
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// dialManager opens a Manager for eth0 inside h's namespace.
func dialManager(t *testing.T, h nsHost, opts Options) *Manager {
	t.Helper()
	var m *Manager
	inNamespace(t, h.ns, func() error {
		var err error
		m, err = Dial("eth0", opts)
		return err
	})
	t.Cleanup(func() { m.Close() })
	return m
}

// listen accepts (and closes) TCP connections on ip inside h's namespace.
func listen(t *testing.T, h nsHost, ip netip.Addr) string {
	t.Helper()
	var ln net.Listener
	inNamespace(t, h.ns, func() error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(ip, 0).String())
		return err
	})
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// connect opens and closes a TCP connection from h's namespace, bounded.
func connect(t *testing.T, h nsHost, addr string) {
	t.Helper()
	ap := netip.MustParseAddrPort(addr)
	if !labNet.Contains(ap.Addr()) {
		t.Fatalf("refusing to connect outside %s: %s", labNet, addr)
	}
	inNamespace(t, h.ns, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp4", addr)
		if err != nil {
			return err
		}
		return c.Close()
	})
}

// neighbour reads h's neighbour entry for ip on eth0 (nil if none).
func neighbour(t *testing.T, nl *netlink.Handle, ip netip.Addr) *netlink.Neigh {
	t.Helper()
	link, err := nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := nl.NeighList(link.Attrs().Index, netlink.FAMILY_V4)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		t.Fatal(err)
	}
	for i := range ns {
		if a, ok := netip.AddrFromSlice(ns[i].IP); ok && a.Unmap() == ip {
			return &ns[i]
		}
	}
	return nil
}

// waitNeighbour polls until h's entry for ip has MAC mac or until limit,
// and returns when it saw it (5 ms resolution) and whether it did.
func waitNeighbour(t *testing.T, nl *netlink.Handle, ip netip.Addr, mac net.HardwareAddr, limit time.Duration) (time.Time, bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		now := time.Now()
		if n := neighbour(t, nl, ip); n != nil && n.HardwareAddr.String() == mac.String() {
			return now, true
		}
		if now.After(deadline) {
			return now, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
