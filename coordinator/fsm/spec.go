package fsm

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Sentinel errors of the package.
var (
	// ErrInvalidSpec: a Spec the machine cannot run (Validate explains).
	ErrInvalidSpec = errors.New("fsm: invalid spec")
	// ErrParse: a string that is not a valid enum value, command or GTID
	// position.
	ErrParse = errors.New("fsm: parse error")
	// ErrState: serialised state that cannot be decoded.
	ErrState = errors.New("fsm: invalid state")
)

// Spec is the part of the configuration the state machine decides with. It
// is not serialised with the state: every replica builds it from its own
// (identical) configuration.
type Spec struct {
	Hosts            []HostSpec // configuration order: ties are broken by it
	Roles            []RoleSpec // configuration order
	ActiveMasterRole string     // the writer role's name
	Timing           Timing
	// TrapPeriod per check; a missing check has trap_period 0 (the first
	// failure is reported at once, as MMM does with trap_period 0).
	TrapPeriod map[Check]time.Duration
}

// HostSpec is one MySQL host.
type HostSpec struct {
	Name string
	Mode config.HostMode // master or slave
	Peer string          // "" = none
	IP   netip.Addr
}

// RoleSpec is one role.
type RoleSpec struct {
	Name   string
	Mode   config.RoleMode
	Hosts  []string
	IPs    []netip.Addr
	Prefer string // "" = none; honoured for exclusive roles only
}

// Timing holds the <monitor> keys the decisions use.
type Timing struct {
	Mode               config.MonitorMode // the mode a fresh state starts in
	FlapCount          int                // 0 disables flap detection
	FlapDuration       time.Duration
	AutoSetOnline      time.Duration // 0 = off
	WaitForOtherMaster time.Duration // 0 = wait forever
	CarefulStartup     bool
}

// SpecFromConfig extracts the Spec from a parsed configuration. Witness
// hosts (coordinators without MySQL) are left out: they hold no state.
func SpecFromConfig(c *config.Config) Spec {
	s := Spec{
		ActiveMasterRole: c.ActiveMasterRole,
		Timing: Timing{
			Mode:               c.Monitor.Mode,
			FlapCount:          c.Monitor.FlapCount,
			FlapDuration:       c.Monitor.FlapDuration,
			AutoSetOnline:      c.Monitor.AutoSetOnline,
			WaitForOtherMaster: c.Monitor.WaitForOtherMaster,
			CarefulStartup:     c.Monitor.CarefulStartup,
		},
		TrapPeriod: map[Check]time.Duration{},
	}
	for _, h := range c.Hosts {
		if h.Mode == config.HostModeWitness {
			continue
		}
		s.Hosts = append(s.Hosts, HostSpec{Name: h.Name, Mode: h.Mode, Peer: h.Peer, IP: h.IP})
	}
	for _, r := range c.Roles {
		s.Roles = append(s.Roles, RoleSpec{
			Name: r.Name, Mode: r.Mode, Prefer: r.Prefer,
			Hosts: append([]string(nil), r.Hosts...),
			IPs:   append([]netip.Addr(nil), r.IPs...),
		})
	}
	for _, ch := range AllChecks {
		if cc := c.Checks[ch.String()]; cc != nil {
			s.TrapPeriod[ch] = cc.TrapPeriod
		}
	}
	return s
}

// Validate reports the first problem that would make decisions undefined.
// MMM died on some of these at runtime; we refuse them up front.
func (s Spec) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, a...))
	}
	if len(s.Hosts) == 0 {
		return bad("no hosts")
	}
	hosts := map[string]HostSpec{}
	for _, h := range s.Hosts {
		if h.Name == "" {
			return bad("a host has no name")
		}
		if _, dup := hosts[h.Name]; dup {
			return bad("host %q defined twice", h.Name)
		}
		if h.Mode != config.HostModeMaster && h.Mode != config.HostModeSlave {
			return bad("host %q: mode must be master or slave", h.Name)
		}
		hosts[h.Name] = h
	}
	for _, h := range s.Hosts {
		if h.Peer == h.Name {
			return bad("host %q is its own peer", h.Name)
		}
		if _, ok := hosts[h.Peer]; h.Peer != "" && !ok {
			return bad("host %q: unknown peer %q", h.Name, h.Peer)
		}
	}
	roles := map[string]bool{}
	ips := map[netip.Addr]string{}
	for _, r := range s.Roles {
		if r.Name == "" || roles[r.Name] {
			return bad("role %q: empty or duplicate name", r.Name)
		}
		roles[r.Name] = true
		if r.Mode != config.RoleModeExclusive && r.Mode != config.RoleModeBalanced {
			return bad("role %q: mode must be exclusive or balanced", r.Name)
		}
		if len(r.IPs) == 0 || len(r.Hosts) == 0 {
			return bad("role %q: needs hosts and ips", r.Name)
		}
		for _, h := range r.Hosts {
			if _, ok := hosts[h]; !ok {
				return bad("role %q: unknown host %q", r.Name, h)
			}
		}
		for _, ip := range r.IPs {
			if !ip.IsValid() {
				return bad("role %q: invalid ip", r.Name)
			}
			if other, dup := ips[ip]; dup {
				return bad("ip %s in roles %q and %q", ip, other, r.Name)
			}
			ips[ip] = r.Name
		}
		if r.Prefer != "" && !contains(r.Hosts, r.Prefer) {
			return bad("role %q: prefer %q is not one of its hosts", r.Name, r.Prefer)
		}
	}
	if s.ActiveMasterRole != "" {
		w := s.role(s.ActiveMasterRole)
		switch {
		case w == nil:
			return bad("active_master_role %q is not a role", s.ActiveMasterRole)
		case w.Mode != config.RoleModeExclusive:
			return bad("active_master_role %q must be exclusive", s.ActiveMasterRole)
		case len(w.Hosts) > 2:
			return bad("There are more than two hosts configured which can handle the active master role.")
		}
	}
	if s.Timing.Mode < config.ModeActive || s.Timing.Mode > config.ModePassive {
		return bad("monitor mode %d", s.Timing.Mode)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// role returns the named role, or nil.
func (s *Spec) role(name string) *RoleSpec {
	for i := range s.Roles {
		if s.Roles[i].Name == name {
			return &s.Roles[i]
		}
	}
	return nil
}

// writerRole returns the active master role, or nil when none is set.
func (s *Spec) writerRole() *RoleSpec {
	if s.ActiveMasterRole == "" {
		return nil
	}
	return s.role(s.ActiveMasterRole)
}

// canHold reports whether host may hold role (it is in the role's hosts).
func (s *Spec) canHold(role, host string) bool {
	r := s.role(role)
	return r != nil && contains(r.Hosts, host)
}

// trap returns a check's trap_period.
func (s *Spec) trap(c Check) time.Duration { return s.TrapPeriod[c] }
