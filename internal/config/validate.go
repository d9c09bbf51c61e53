package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks every key's range and the keys against each other. It
// returns all problems joined, one per line, each an *Error pointing at the
// line that set the key (or the section's opening line when the key is
// missing). Load calls it; call it again after changing a Config.
func (c *Config) Validate() error {
	return c.validate().err(c.Files)
}

func (c *Config) validate() problems {
	v := &validator{c: c}
	v.global()
	v.hosts()
	v.roles()
	v.addresses()
	v.monitor()
	v.checks()
	v.socket()
	v.coordinator()
	v.keepalived()
	return v.probs
}

type validator struct {
	c     *Config
	probs problems
}

// scope names a section for messages and knows where its keys were set.
type scope struct {
	w             Where
	section, name string
}

func (v *validator) fail(kind error, s scope, key, format string, args ...any) {
	pos := s.w.At(key)
	if t, ok := v.c.templates[s.section]; ok && key != "" && pos.File != "" && t.KeyPos[key] == pos {
		s.name = "default" // the value came from <host default> or <check default>
	}
	v.probs.add(kind, pos, s.section, s.name, key, fmt.Sprintf(format, args...))
}

func (v *validator) positive(s scope, key string, d time.Duration) {
	if d <= 0 {
		v.fail(ErrValue, s, key, "expected a duration > 0, got %s", d)
	}
}

func (v *validator) nonNegative(s scope, key string, d time.Duration) {
	if d < 0 {
		v.fail(ErrValue, s, key, "expected a duration >= 0 (0 = off), got %s", d)
	}
}

func (v *validator) atLeast(s scope, key string, n, lo int) {
	if n < lo {
		v.fail(ErrValue, s, key, "expected at least %d, got %d", lo, n)
	}
}

func (v *validator) between(s scope, key string, n, lo, hi int) {
	if n < lo || n > hi {
		v.fail(ErrValue, s, key, "expected %d..%d, got %d", lo, hi, n)
	}
}

// address checks host:port (the host may be empty: all addresses).
func (v *validator) address(s scope, key, addr string) {
	if addr == "" {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.fail(ErrValue, s, key, "expected host:port (e.g. 198.18.0.11:%d), got %q", DefaultRaftPort, addr)
		return
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		v.fail(ErrValue, s, key, "expected a port 1..65535 in %q", addr)
	}
}

func (v *validator) global() {
	c := v.c
	s := scope{w: c.Global}
	switch {
	case c.ActiveMasterRole == "":
		v.fail(ErrValue, s, "active_master_role", "missing; expected the name of the writer role (e.g. active_master_role writer)")
	case c.WriterRole() == nil:
		v.fail(ErrInconsistent, s, "active_master_role", "role %q is not defined", c.ActiveMasterRole)
	}
	if c.This != "" && c.ThisHost() == nil {
		v.fail(ErrInconsistent, s, "this", "host %q is not defined", c.This)
	}
	v.atLeast(s, "max_kill_retries", c.MaxKillRetries, 1)
	if len(c.Hosts) == 0 {
		v.fail(ErrValue, s, "", "no <host NAME> section; expected at least one host")
	}
}

func (v *validator) hosts() {
	for _, h := range v.c.Hosts {
		s := scope{w: h.Where, section: "host", name: h.Name}
		if !h.IP.IsValid() {
			v.fail(ErrValue, s, "ip", "missing; expected the host's IP address")
		}
		switch h.Mode {
		case HostModeMaster:
			v.peer(s, h)
		case HostModeSlave, HostModeWitness:
			if h.Peer != "" && v.c.Host(h.Peer) == nil {
				v.fail(ErrInconsistent, s, "peer", "host %q is not defined", h.Peer)
			}
		default:
			v.fail(ErrValue, s, "mode", "missing; expected %s", oneOf(hostModeNames[1:]))
		}
		v.between(s, "agent_port", h.AgentPort, 1, 65535)
		v.between(s, "mysql_port", h.MySQLPort, 1, 65535)
		v.address(s, "raft_address", h.RaftAddress)
		v.address(s, "api_address", h.APIAddress)
		if _, set := h.KeyPos["priority"]; set || h.Priority != 0 {
			v.between(s, "priority", h.Priority, 1, 254)
		}
	}
}

// peer: a master names a master that names it back (MMM's pair).
func (v *validator) peer(s scope, h *Host) {
	if h.Peer == "" {
		v.fail(ErrValue, s, "peer", "missing; a master needs the name of the other master")
		return
	}
	p := v.c.Host(h.Peer)
	switch {
	case p == nil:
		v.fail(ErrInconsistent, s, "peer", "host %q is not defined", h.Peer)
	case p == h:
		v.fail(ErrInconsistent, s, "peer", "a host cannot be its own peer")
	case p.Mode != HostModeMaster:
		v.fail(ErrInconsistent, s, "peer", "host %q is a %s; the peer of a master must be a master", p.Name, p.Mode)
	case p.Peer != h.Name:
		v.fail(ErrInconsistent, s, "peer", "host %q names %q as its peer; peers must name each other", p.Name, p.Peer)
	}
}

func (v *validator) roles() {
	for _, r := range v.c.Roles {
		s := scope{w: r.Where, section: "role", name: r.Name}
		if r.Mode == RoleModeUnknown {
			v.fail(ErrValue, s, "mode", "missing; expected %s", oneOf(roleModeNames[1:]))
		}
		if len(r.Hosts) == 0 {
			v.fail(ErrValue, s, "hosts", "missing; expected a comma-separated list of hosts")
		}
		if len(r.IPs) == 0 {
			v.fail(ErrValue, s, "ips", "missing; expected a comma-separated list of IP addresses")
		}
		for i, name := range r.Hosts {
			h := v.c.Host(name)
			switch {
			case h == nil:
				v.fail(ErrInconsistent, s, "hosts", "host %q is not defined", name)
			case slices.Index(r.Hosts[:i], name) >= 0:
				v.fail(ErrInconsistent, s, "hosts", "host %q is listed twice", name)
			case h.Mode == HostModeWitness:
				v.fail(ErrInconsistent, s, "hosts", "host %q is a witness; a witness holds no roles", name)
			case r.Mode == RoleModeExclusive && h.Mode != HostModeMaster && h.Mode != HostModeUnknown:
				v.fail(ErrInconsistent, s, "hosts", "host %q is a %s; an exclusive role takes master hosts only", name, h.Mode)
			}
		}
		if r.Prefer != "" {
			switch {
			case r.Mode != RoleModeExclusive:
				v.fail(ErrInconsistent, s, "prefer", "only an exclusive role takes prefer; this role is %s", r.Mode)
			case slices.Index(r.Hosts, r.Prefer) < 0:
				v.fail(ErrInconsistent, s, "prefer", "host %q is not one of the role's hosts (%s)", r.Prefer, strings.Join(r.Hosts, ", "))
			}
		}
		if r.Name == v.c.ActiveMasterRole {
			v.writerRole(s, r)
		}
	}
}

// writerRole: keepalived moves the writer between a master and its peer.
func (v *validator) writerRole(s scope, r *Role) {
	if r.Mode == RoleModeBalanced {
		v.fail(ErrInconsistent, s, "mode", "the active master role must be exclusive, got balanced")
	}
	if len(r.Hosts) > 2 {
		v.fail(ErrInconsistent, s, "hosts", "the active master role takes at most two hosts (a master and its peer), got %d", len(r.Hosts))
		return
	}
	if len(r.Hosts) == 2 {
		a, b := v.c.Host(r.Hosts[0]), v.c.Host(r.Hosts[1])
		if a != nil && b != nil && a.Mode == HostModeMaster && b.Mode == HostModeMaster && a.Peer != b.Name {
			v.fail(ErrInconsistent, s, "hosts", "hosts %q and %q of the active master role must be each other's peer", a.Name, b.Name)
		}
	}
}

// addresses: every host and role IP once; raft and API addresses once.
func (v *validator) addresses() {
	owner := map[string]string{}
	for _, h := range v.c.Hosts {
		s := scope{w: h.Where, section: "host", name: h.Name}
		if h.IP.IsValid() {
			if o, dup := owner[h.IP.String()]; dup {
				v.fail(ErrInconsistent, s, "ip", "%s is also the ip of %s", h.IP, o)
			} else {
				owner[h.IP.String()] = "host " + strconv.Quote(h.Name)
			}
		}
	}
	for _, r := range v.c.Roles {
		s := scope{w: r.Where, section: "role", name: r.Name}
		me := "role " + strconv.Quote(r.Name)
		for _, ip := range r.IPs {
			o, dup := owner[ip.String()]
			switch {
			case !dup:
				owner[ip.String()] = me
			case o == me:
				v.fail(ErrInconsistent, s, "ips", "%s is listed twice", ip)
			case strings.HasPrefix(o, "host "):
				v.fail(ErrInconsistent, s, "ips", "%s is the ip of %s; a role IP must be an address of its own", ip, o)
			default:
				v.fail(ErrInconsistent, s, "ips", "%s is also an IP of %s", ip, o)
			}
		}
	}
	for _, key := range []string{"raft_address", "api_address"} {
		used := map[string]string{}
		for _, h := range v.c.Hosts {
			a := h.RaftAddress
			if key == "api_address" {
				a = h.APIAddress
			}
			if o, dup := used[a]; dup && a != "" {
				v.fail(ErrInconsistent, scope{w: h.Where, section: "host", name: h.Name}, key, "%s is also the %s of host %q", a, key, o)
			}
			used[a] = h.Name
		}
	}
}

func (v *validator) monitor() {
	m := v.c.Monitor
	s := scope{w: m.Where, section: "monitor"}
	v.between(s, "port", m.Port, 1, 65535)
	v.positive(s, "ping_interval", m.PingInterval)
	v.positive(s, "flap_duration", m.FlapDuration)
	v.atLeast(s, "flap_count", m.FlapCount, 0)
	v.nonNegative(s, "auto_set_online", m.AutoSetOnline)
	v.nonNegative(s, "wait_for_other_master", m.WaitForOtherMaster)
	if m.Mode == ModeUnknown {
		v.fail(ErrValue, s, "mode", "expected %s", oneOf(monitorModeNames[1:]))
	}
}

func (v *validator) checks() {
	for _, name := range CheckNames {
		ch := v.c.Checks[name]
		if ch == nil {
			v.probs.add(ErrValue, Pos{}, "check", name, "", "missing; all four checks must exist")
			continue
		}
		s := scope{w: ch.Where, section: "check", name: name}
		v.positive(s, "check_period", ch.CheckPeriod)
		v.positive(s, "trap_period", ch.TrapPeriod)
		v.positive(s, "timeout", ch.Timeout)
		v.atLeast(s, "restart_after", ch.RestartAfter, 0)
		v.positive(s, "max_backlog", ch.MaxBacklog)
		v.positive(s, "max_connecting", ch.MaxConnecting)
		if _, err := parsePingMethod(ch.PingMethod); err != nil {
			v.fail(ErrValue, s, "ping_method", "%s", err)
		}
	}
}

func (v *validator) socket() {
	so := v.c.Socket
	s := scope{w: so.Where, section: "socket"}
	switch so.Type {
	case "plain":
	case "ssl":
		for _, f := range []struct{ key, val string }{{"cert_file", so.CertFile}, {"key_file", so.KeyFile}, {"ca_file", so.CAFile}} {
			if f.val == "" {
				v.fail(ErrValue, s, f.key, "missing; type ssl needs cert_file, key_file and ca_file")
			}
		}
	default:
		v.fail(ErrValue, s, "type", "expected plain or ssl, got %q", so.Type)
	}
}

func (v *validator) coordinator() {
	co := v.c.Coordinator
	s := scope{w: co.Where, section: "coordinator"}
	for i, name := range co.RaftPeers {
		switch {
		case v.c.Host(name) == nil:
			v.fail(ErrInconsistent, s, "raft_peers", "host %q is not defined", name)
		case slices.Index(co.RaftPeers[:i], name) >= 0:
			v.fail(ErrInconsistent, s, "raft_peers", "host %q is listed twice", name)
		}
	}
	v.positive(s, "raft_heartbeat_timeout", co.RaftHeartbeatTimeout)
	v.positive(s, "raft_election_timeout", co.RaftElectionTimeout)
	v.positive(s, "raft_leader_lease_timeout", co.RaftLeaderLeaseTimeout)
	// hashicorp/raft refuses to start otherwise (raft.ValidateConfig).
	if co.RaftLeaderLeaseTimeout > co.RaftHeartbeatTimeout {
		v.fail(ErrInconsistent, s, "raft_leader_lease_timeout", "expected at most raft_heartbeat_timeout (%s), got %s", co.RaftHeartbeatTimeout, co.RaftLeaderLeaseTimeout)
	}
	if co.RaftElectionTimeout < co.RaftHeartbeatTimeout {
		v.fail(ErrInconsistent, s, "raft_election_timeout", "expected at least raft_heartbeat_timeout (%s), got %s", co.RaftHeartbeatTimeout, co.RaftElectionTimeout)
	}
	v.positive(s, "lease", co.Lease)
	v.atLeast(s, "history_size", co.HistorySize, 1)
	v.positive(s, "fence_timeout", co.FenceTimeout)
	v.positive(s, "catchup_timeout", co.CatchupTimeout)
	if co.CatchupPolicy == CatchupUnknown {
		v.fail(ErrValue, s, "catchup_policy", "expected %s", oneOf(catchupPolicyNames[1:]))
	}
	v.atLeast(s, "semisync_min_clients", co.SemisyncMinClients, 0)
	v.atLeast(s, "garp_count", co.GarpCount, 1)
	v.positive(s, "garp_interval", co.GarpInterval)
}

func (v *validator) keepalived() {
	k := v.c.Keepalived
	s := scope{w: k.Where, section: "keepalived"}
	if _, set := k.KeyPos["virtual_router_id"]; set || k.VirtualRouterID != 0 {
		v.between(s, "virtual_router_id", k.VirtualRouterID, 1, 255)
	}
	switch k.VRRPVersion {
	case 2:
		// VRRPv2 advertises in whole seconds.
		if k.AdvertInt < time.Second || k.AdvertInt > 255*time.Second || k.AdvertInt%time.Second != 0 {
			v.fail(ErrValue, s, "advert_int", "expected whole seconds 1..255 with vrrp_version 2, got %s", k.AdvertInt)
		}
	case 3:
		// VRRPv3 advertises in centiseconds, at most 40.95 s.
		if k.AdvertInt < 10*time.Millisecond || k.AdvertInt > 4095*10*time.Millisecond || k.AdvertInt%(10*time.Millisecond) != 0 {
			v.fail(ErrValue, s, "advert_int", "expected 10ms..40.95s in steps of 10ms with vrrp_version 3, got %s", k.AdvertInt)
		}
		if k.AuthPass != "" {
			v.fail(ErrInconsistent, s, "auth_pass", "VRRPv3 has no authentication; remove auth_pass or set vrrp_version 2")
		}
	default:
		v.fail(ErrValue, s, "vrrp_version", "expected 2 or 3, got %d", k.VRRPVersion)
	}
	if n := len(k.AuthPass); n > 8 {
		v.fail(ErrValue, s, "auth_pass", "keepalived uses at most 8 characters, got %d", n)
	}
	// keepalived's vrrp_script takes whole seconds.
	for _, f := range []struct {
		key string
		d   time.Duration
	}{{"check_interval", k.CheckInterval}, {"check_timeout", k.CheckTimeout}} {
		if f.d < time.Second || f.d%time.Second != 0 {
			v.fail(ErrValue, s, f.key, "expected whole seconds >= 1 (keepalived's vrrp_script), got %s", f.d)
		}
	}
	v.atLeast(s, "check_fall", k.CheckFall, 1)
	v.atLeast(s, "check_rise", k.CheckRise, 1)
	v.nonNegative(s, "garp_master_delay", k.GarpMasterDelay)
	v.atLeast(s, "garp_master_repeat", k.GarpMasterRpt, 1)
	if k.DownTimerAdverts < 1 || k.DownTimerAdverts > 100 {
		v.fail(ErrValue, s, "down_timer_adverts", "expected 1..100, got %d", k.DownTimerAdverts)
	}
}
