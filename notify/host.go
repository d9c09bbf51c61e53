package notify

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
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

// MySQLFencer fences the server at Config (the local socket) with
// internal/fence. It connects afresh on every call.
type MySQLFencer struct {
	Config  *mysql.Config
	Options fence.Options
}

var _ Fencer = MySQLFencer{}

// Fence implements Fencer. A server it cannot connect to is
// fence.ErrUnreachable, as from fence.Fence itself: nothing was changed,
// and nothing can write to it either while it is down.
func (f MySQLFencer) Fence(ctx context.Context) (fence.Result, error) {
	srv, err := dbctl.Open(ctx, f.Config)
	if err != nil {
		return fence.Result{}, fmt.Errorf("fence: %w: %w", fence.ErrUnreachable, err)
	}
	defer srv.Close()
	return fence.Fence(ctx, srv, f.Options)
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
	c := mysql.NewConfig()
	if h.MySQLSocket != "" {
		c.Net, c.Addr = "unix", h.MySQLSocket
	} else {
		c.Net, c.Addr = "tcp", net.JoinHostPort(h.IP.String(), strconv.Itoa(h.MySQLPort))
	}
	c.User, c.Passwd = h.AgentUser, h.AgentPassword
	attempt := max(budget/4, 50*time.Millisecond)
	c.Timeout = attempt // dial
	hd := &Handler{
		Host:     host,
		Observer: HostObserver{Interface: cfg.VRRPInterface(h), VIPs: role.IPs, TrackFile: h.TrackFile},
		Fencer: MySQLFencer{Config: c, Options: fence.Options{MaxKillRetries: cfg.MaxKillRetries,
			ReadOnlyAttempt: attempt, Interval: min(fence.DefaultInterval, attempt)}},
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
