package lab

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Interface names: every host has eth0; in the bridge namespace the
// bridge is br0 and each host's port is named after the host.
const (
	hostIface = "eth0"
	bridge    = "br0"
)

// upNetwork creates the namespaces, the bridge and one veth pair per host
// (eth0 in the host, the other end a port of the bridge), assigns each
// host its /24 address and brings lo and eth0 up. No default route, no
// interface in the root namespace. Each namespace is recorded in the
// manifest before it is created.
func (l *Lab) upNetwork(ctx context.Context) error {
	if err := CheckAddrs(topologyAddrs()...); err != nil {
		return err
	}
	for _, ns := range l.namespaces() {
		if err := l.record(func(m *Manifest) { m.addNamespace(ns) }); err != nil {
			return err
		}
		if err := addNamespace(ctx, ns); err != nil {
			return err
		}
		if err := disableIPv6(ns); err != nil {
			return err
		}
	}
	br, err := handle(l.bridgeNamespace())
	if err != nil {
		return err
	}
	defer br.Close()
	bridgeLink := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridge}}
	if err := br.LinkAdd(bridgeLink); err != nil {
		return fmt.Errorf("lab: add bridge: %w", err)
	}
	if err := br.LinkSetUp(bridgeLink); err != nil {
		return fmt.Errorf("lab: bridge up: %w", err)
	}
	for _, h := range Hosts {
		if err := l.plugHost(br, bridgeLink, h); err != nil {
			return err
		}
	}
	return nil
}

// plugHost creates host's veth pair and configures its end.
func (l *Lab) plugHost(br *netlink.Handle, bridgeLink *netlink.Bridge, h Host) error {
	nsh, err := netns.GetFromName(l.Namespace(h.Name))
	if err != nil {
		return fmt.Errorf("lab: namespace of %s: %w", h.Name, err)
	}
	defer nsh.Close()
	port := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: h.Name, MasterIndex: bridgeLink.Index},
		PeerName:      hostIface,
		PeerNamespace: netlink.NsFd(nsh),
	}
	if err := br.LinkAdd(port); err != nil {
		return fmt.Errorf("lab: veth for %s: %w", h.Name, err)
	}
	if err := br.LinkSetUp(port); err != nil {
		return fmt.Errorf("lab: port %s up: %w", h.Name, err)
	}
	hh, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return fmt.Errorf("lab: netlink in %s: %w", h.Name, err)
	}
	defer hh.Close()
	lo, err := hh.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("lab: lo of %s: %w", h.Name, err)
	}
	if err := hh.LinkSetUp(lo); err != nil {
		return fmt.Errorf("lab: lo of %s up: %w", h.Name, err)
	}
	eth, err := hh.LinkByName(hostIface)
	if err != nil {
		return fmt.Errorf("lab: eth0 of %s: %w", h.Name, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: h.Addr.AsSlice(), Mask: net.CIDRMask(Net.Bits(), 32)}}
	if err := hh.AddrAdd(eth, addr); err != nil {
		return fmt.Errorf("lab: address of %s: %w", h.Name, err)
	}
	if err := hh.LinkSetUp(eth); err != nil {
		return fmt.Errorf("lab: eth0 of %s up: %w", h.Name, err)
	}
	return nil
}

// setLink brings an interface of a namespace up or down.
func setLink(ns, iface string, up bool) error {
	h, err := handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(iface)
	if err != nil {
		return fmt.Errorf("lab: %s in %s: %w", iface, ns, err)
	}
	if up {
		err = h.LinkSetUp(link)
	} else {
		err = h.LinkSetDown(link)
	}
	if err != nil {
		return fmt.Errorf("lab: set %s in %s up=%v: %w", iface, ns, up, err)
	}
	return nil
}

// linkUp reports whether an interface of a namespace is administratively up.
func linkUp(ns, iface string) (bool, error) {
	h, err := handle(ns)
	if err != nil {
		return false, err
	}
	defer h.Close()
	link, err := h.LinkByName(iface)
	if err != nil {
		return false, fmt.Errorf("lab: %s in %s: %w", iface, ns, err)
	}
	return link.Attrs().Flags&net.FlagUp != 0, nil
}

// setIsolated turns bridge port isolation of a host's port on or off:
// isolated ports forward nothing to each other, everything to the others.
func (l *Lab) setIsolated(host string, on bool) error {
	h, err := handle(l.bridgeNamespace())
	if err != nil {
		return err
	}
	defer h.Close()
	port, err := h.LinkByName(host)
	if err != nil {
		return fmt.Errorf("lab: bridge port %s: %w", host, err)
	}
	if err := h.LinkSetIsolated(port, on); err != nil {
		return fmt.Errorf("lab: isolate %s=%v: %w", host, on, err)
	}
	return nil
}

// isolatedPorts returns the hosts whose bridge port is isolated.
func (l *Lab) isolatedPorts() ([]string, error) {
	h, err := handle(l.bridgeNamespace())
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var out []string
	for _, host := range Hosts {
		port, err := h.LinkByName(host.Name)
		if err != nil {
			return nil, fmt.Errorf("lab: bridge port %s: %w", host.Name, err)
		}
		pi, err := h.LinkGetProtinfo(port)
		if err != nil {
			return nil, fmt.Errorf("lab: bridge port %s: %w", host.Name, err)
		}
		if pi.Isolated {
			out = append(out, host.Name)
		}
	}
	return out, nil
}

// addrsOn returns the IPv4 addresses configured on host's eth0.
func (l *Lab) addrsOn(host string) ([]netlink.Addr, error) {
	h, err := handle(l.Namespace(host))
	if err != nil {
		return nil, err
	}
	defer h.Close()
	link, err := h.LinkByName(hostIface)
	if err != nil {
		return nil, fmt.Errorf("lab: eth0 of %s: %w", host, err)
	}
	addrs, err := h.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("lab: addresses of %s: %w", host, err)
	}
	return addrs, nil
}

// disableIPv6 turns IPv6 off in a namespace before its interfaces exist,
// so that no link-local address, router solicitation or MLD report ever
// appears: the lab speaks 198.18.0.0/24 only. /proc/sys/net is the
// namespace of the thread that opens it.
func disableIPv6(ns string) error {
	return inNamespace(ns, func() error {
		for _, conf := range []string{"all", "default", "lo"} {
			p := "/proc/sys/net/ipv6/conf/" + conf + "/disable_ipv6"
			if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
				return fmt.Errorf("lab: %s in %s: %w", p, ns, err)
			}
		}
		return nil
	})
}
