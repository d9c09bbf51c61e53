package notify

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// HostObserver reads the writer VIPs on the VRRP interface and the track
// file of this host.
type HostObserver struct {
	Interface string
	VIPs      []netip.Addr
	TrackFile string
	// addrs lists the interface's addresses; nil = the real interface.
	addrs func(name string) ([]net.Addr, error)
}

var _ Observer = HostObserver{}

// Observe implements Observer.
func (h HostObserver) Observe() Observation {
	vips := make([]string, len(h.VIPs))
	for i, v := range h.VIPs {
		vips[i] = v.String()
	}
	o := Observation{Where: strings.Join(vips, ", ") + " on " + h.Interface}
	o.HoldsVIP, o.VIPErr = h.holdsVIP()
	o.Eligible, o.TrackErr = keepalived.ReadTrackFile(h.TrackFile)
	return o
}

func (h HostObserver) holdsVIP() (bool, error) {
	addrs := h.addrs
	if addrs == nil {
		addrs = interfaceAddrs
	}
	list, err := addrs(h.Interface)
	if err != nil {
		return false, err
	}
	for _, a := range list {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		for _, v := range h.VIPs {
			if ip.Unmap() == v.Unmap() {
				return true, nil
			}
		}
	}
	return false, nil
}

func interfaceAddrs(name string) ([]net.Addr, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	return addrs, nil
}

// New builds the Handler of host from the configuration: its writer VIPs
// and VRRP interface, its track file, the agent account on its
// mysql_socket (or ip:mysql_port), max_kill_retries, and its
// coordinator's api_socket. budget is the time the fence gets: each
// read_only attempt gets a quarter of it.
func New(cfg *config.Config, host string, budget time.Duration) (*Handler, error) {
	h := cfg.Host(host)
	if h == nil {
		names := make([]string, len(cfg.Hosts))
		for i, h := range cfg.Hosts {
			names[i] = h.Name
		}
		return nil, fmt.Errorf("%w: host %q is not defined (hosts: %s)", ErrConfig, host, strings.Join(names, ", "))
	}
	role := cfg.WriterRole()
	switch {
	case role == nil:
		return nil, fmt.Errorf("%w: no writer role (active_master_role %q)", ErrConfig, cfg.ActiveMasterRole)
	case !inRole(role, host):
		return nil, fmt.Errorf("%w: host %s is not in the writer role %s (%s): keepalived does not run there",
			ErrConfig, host, role.Name, strings.Join(role.Hosts, ", "))
	case h.AgentUser == "":
		return nil, fmt.Errorf("%w: host %s has no agent_user: mmm-notify fences as the agent (READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS)", ErrConfig, host)
	}
	hd := &Handler{
		Host:     host,
		Observer: HostObserver{Interface: cfg.VRRPInterface(h), VIPs: role.IPs, TrackFile: h.TrackFile},
		Fencer:   fence.LocalFor(cfg, h, max(budget/4, 50*time.Millisecond)),
	}
	if h.APISocket != "" {
		cl, err := api.NewClient(api.ClientOptions{Socket: h.APISocket})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		hd.Reporter = cl
	}
	return hd, nil
}

func inRole(r *config.Role, host string) bool {
	for _, n := range r.Hosts {
		if n == host {
			return true
		}
	}
	return false
}
