package fsm

import (
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// clearRoles is MMM's clear_roles: remove every role IP of host, logging
// each. It logs the header even when the host held nothing, as MMM.
func (s *step) clearRoles(host string) {
	s.log(LevelInfo, "Removing all roles from host '%s':", host)
	for i := range s.st.Roles {
		r := &s.st.Roles[i]
		for j := range r.IPs {
			if r.IPs[j].Host == host {
				s.log(LevelInfo, "    Removed role '%s(%s)' from host '%s'", r.Role, r.IPs[j].IP, host)
				r.IPs[j].Host = ""
			}
		}
	}
}

// notifyOrKill is MMM's "notify, kill if that fails" after a host lost its
// roles. The kill hook runs only for a host that held roles: killing a
// host that holds nothing protects nothing.
func (s *step) notifyOrKill(h *HostStatus, held int) {
	if held == 0 || !s.notifyFails(h) || s.passive() {
		return
	}
	s.log(LevelError, "Can't send offline status notification to '%s' - killing it!", h.Name)
	s.kills = append(s.kills, KillHost{Host: h.Name, Ping: h.ok(CheckPing)})
}

// eligible is MMM's eligibility — in the role's hosts, ONLINE,
// agent up — plus: a host whose restarted replication is not verified
// yet receives nothing.
func (s *step) eligible(role *RoleSpec, host string) bool {
	h := s.host(host)
	return contains(role.Hosts, host) && h.State == StateOnline && !h.AgentDown &&
		!s.awaitingVerification(h)
}

// load2 is MMM's count_host_roles in halves: every role IP counts 2, an
// active master role IP 1 (the writer weighs half a reader).
func (s *step) load2(host string) int {
	n := 0
	for _, r := range s.st.Roles {
		for _, a := range r.IPs {
			if a.Host == host {
				if r.Role == s.spec.ActiveMasterRole {
					n++
				} else {
					n += 2
				}
			}
		}
	}
	return n
}

// distributeRoles is MMM's _distribute_roles; not run in PASSIVE.
func (s *step) distributeRoles() {
	if s.passive() {
		return
	}
	if s.st.Mode == config.ModeActive {
		s.dropUnreachable()
	}
	s.processOrphans(config.RoleModeExclusive)
	s.processOrphans(config.RoleModeBalanced)
	if s.st.Mode == config.ModeActive {
		s.obeyPreferences()
	}
	s.balance()
}

// dropUnreachable (ACTIVE only): MMM let an ONLINE host whose agent
// was down keep every role, the writer included. Our coordinator that
// cannot reach the leader closes its track_file and drops its reader VIPs
// by itself after the lease, so its roles are moved to hosts that can
// serve them.
func (s *step) dropUnreachable() {
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		if !h.AgentDown || len(s.st.HostRoles(h.Name)) == 0 {
			continue
		}
		s.log(LevelWarn, "Agent on host '%s' is not reachable - moving its roles away", h.Name)
		if h.Name == s.activeMaster() {
			// Until its agent is back while it is still ONLINE.
			h.FormerWriter, h.MustRejoin = true, true
		}
		s.clearRoles(h.Name)
	}
}

// processOrphans assigns orphaned IPs of the roles of one mode (the second
// step of MMM's role distribution), roles and IPs in configuration order; the first IP without an
// eligible host skips the rest of its role.
func (s *step) processOrphans(mode config.RoleMode) {
	for i := range s.spec.Roles {
		rs := &s.spec.Roles[i]
		if rs.Mode != mode {
			continue
		}
		ra := s.st.role(rs.Name)
		for j := range ra.IPs {
			if ra.IPs[j].Host != "" {
				continue
			}
			host := s.findEligibleHost(rs)
			if host == "" {
				break
			}
			ra.IPs[j].Host = host
			s.log(LevelInfo, "Orphaned role '%s(%s)' has been assigned to '%s'", rs.Name, ra.IPs[j].IP, host)
		}
	}
}

// findEligibleHost is MMM's find_eligible_host: the preferred host if it
// is ONLINE with its agent up, else the least loaded eligible host, ties
// to the first in the role's hosts. For the active master role only the
// most complete candidates compete: a host that has applied less
// than another candidate is never chosen while that one is eligible.
func (s *step) findEligibleHost(rs *RoleSpec) string {
	var cands []string
	for _, h := range rs.Hosts {
		if s.eligible(rs, h) && s.exclude[rs.Name] != h {
			cands = append(cands, h)
		}
	}
	if len(cands) == 0 && s.exclude[rs.Name] != "" && s.eligible(rs, s.exclude[rs.Name]) {
		cands = []string{s.exclude[rs.Name]} // nobody else can take it
	}
	if rs.Name == s.spec.ActiveMasterRole {
		cands = s.mostComplete(cands)
	}
	if rs.Prefer != "" && contains(cands, rs.Prefer) {
		return rs.Prefer
	}
	best, bestLoad := "", 0
	for _, h := range cands {
		if l := s.load2(h); best == "" || l < bestLoad {
			best, bestLoad = h, l
		}
	}
	return best
}

// mostComplete drops every candidate whose GTID position another
// candidate is ahead of. Unknown positions compare as equal.
func (s *step) mostComplete(cands []string) []string {
	var out []string
	for _, c := range cands {
		pc := s.host(c).Position
		behind := false
		for _, d := range cands {
			if pd := s.host(d).Position; d != c && pc != nil && pd != nil && pd.Ahead(pc) {
				behind = true
			}
		}
		if !behind {
			out = append(out, c)
		}
	}
	return out
}

// obeyPreferences moves exclusive roles to their preferred host when it
// is ONLINE with its agent up (the third step of MMM's role distribution,
// ACTIVE only). The writer is
// moved back only to a preferred host that has caught up: it
// follows the active master with healthy replication and, when both
// positions are known, has applied everything the active master had.
func (s *step) obeyPreferences() {
	for i := range s.spec.Roles {
		rs := &s.spec.Roles[i]
		if rs.Prefer == "" || rs.Mode != config.RoleModeExclusive {
			continue
		}
		p := s.host(rs.Prefer)
		if p.State != StateOnline || p.AgentDown || s.awaitingVerification(p) {
			continue
		}
		ra := s.st.role(rs.Name)
		old := ra.IPs[0].Host
		if old == rs.Prefer {
			continue
		}
		if rs.Name == s.spec.ActiveMasterRole && !s.caughtUp(p) {
			continue
		}
		ra.IPs[0].Host = rs.Prefer
		s.log(LevelInfo, "Moving role '%s(%s)' from host '%s' to preferred host '%s'", rs.Name, ra.IPs[0].IP, old, rs.Prefer)
	}
}

// caughtUp is the condition for failing the writer back to host p: no
// failback to a preferred host that lags.
func (s *step) caughtUp(p *HostStatus) bool {
	am := s.activeMaster()
	if am == "" {
		return true
	}
	if !s.replVerified(p) {
		return false
	}
	ap := s.host(am).Position
	return ap == nil || p.Position == nil || p.Position.Covers(ap)
}

// balance is MMM's balance (the last step of its role distribution) for
// every balanced role: while
// the most and least loaded eligible hosts differ by more than one role
// (load2 > 2), move one IP of the role from the first most loaded to the
// first least loaded host. As in MMM, the counters change even when the
// most loaded host holds no IP of this role.
func (s *step) balance() {
	for i := range s.spec.Roles {
		rs := &s.spec.Roles[i]
		if rs.Mode != config.RoleModeBalanced {
			continue
		}
		var hosts []string
		load := map[string]int{}
		for _, h := range rs.Hosts {
			if s.eligible(rs, h) {
				hosts = append(hosts, h)
				load[h] = s.load2(h)
			}
		}
		if len(hosts) < 2 {
			continue
		}
		for {
			max, min := hosts[0], hosts[0]
			for _, h := range hosts[1:] {
				if load[h] > load[max] {
					max = h
				}
				if load[h] < load[min] {
					min = h
				}
			}
			if load[max]-load[min] <= 2 {
				break
			}
			s.moveOneIP(rs, max, min)
			load[max] -= 2
			load[min] += 2
		}
	}
}

// moveOneIP moves the first IP (configuration order) of role from one
// host to another; nothing when from holds none.
func (s *step) moveOneIP(rs *RoleSpec, from, to string) {
	ra := s.st.role(rs.Name)
	for j := range ra.IPs {
		if ra.IPs[j].Host == from {
			ra.IPs[j].Host = to
			s.log(LevelInfo, "Moving role '%s(%s)' from host '%s' to host '%s'", rs.Name, ra.IPs[j].IP, from, to)
			return
		}
	}
}
