package fsm

import (
	"fmt"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// startup is MMM's startup decision on a state without history:
// there is no status file and no agent memory, so the sources are the
// observations — MySQL writable (read_only=0), the writer VIP held
// (keepalived MASTER, or the IP on the interface), reader VIPs on the
// interface, and which master each replica follows.
//
//   - State: AWAITING_RECOVERY ("neither source says anything"), or
//     HARD_OFFLINE when the initial ping/mysql checks failed.
//   - Writer: votes +4 writable, +2 VIP held, +1 per slave-mode host that
//     follows it; 0 for HARD_OFFLINE outside MANUAL/WAIT. The highest
//     (> 0) wins, ties to configuration order. The winner becomes ONLINE
//     outside MANUAL/WAIT. The VIP held on two hosts is a conflict, and so
//     (our addition) is MySQL writable on two masters.
//   - Other role IPs: +4 for the IP on the interface; 0 outside
//     MANUAL/WAIT for a host not ONLINE/AWAITING_RECOVERY. An
//     AWAITING_RECOVERY winner becomes ONLINE — only if its replication
//     is verified; otherwise the IP stays orphaned.
//   - A conflict with careful_startup switches to PASSIVE.
func (s *step) startup() {
	s.completeInitialChecks()
	s.st.Mode = s.spec.Timing.Mode
	if s.passive() {
		s.st.PassiveInfo = "Configured to start up in passive mode."
	}
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		h.State, h.LastStateChange = StateAwaitingRecovery, s.now
		if !h.ok(CheckPing) || !h.ok(CheckMySQL) {
			h.State = StateHardOffline
		}
	}
	var conflicts []string
	first := map[string]bool{} // role IPs decided by the writer vote
	if w := s.spec.writerRole(); w != nil {
		first[w.IPs[0].String()] = true
		conflicts = s.startupWriter(w)
	}
	for i := range s.spec.Roles {
		rs := &s.spec.Roles[i]
		for _, ip := range rs.IPs {
			if !first[ip.String()] {
				s.startupRoleIP(rs, ip.String())
			}
		}
	}
	s.logStartupStatus()
	if len(conflicts) > 0 && s.spec.Timing.CarefulStartup {
		s.st.Mode = config.ModePassive
		s.st.PassiveInfo = "Conflicting roles during startup:\n" + strings.Join(conflicts, "\n")
	}
	s.st.Started = true
	s.log(LevelInfo, "Monitor started in %s mode.", strings.ToLower(ModeName(s.st.Mode)))
}

// startupWriter decides the active master role and returns the conflicts.
func (s *step) startupWriter(w *RoleSpec) []string {
	ip := w.IPs[0]
	var held, writable []string
	best, bestVotes := "", 0
	for _, name := range w.Hosts {
		h := s.host(name)
		votes := 0
		if h.Writable {
			votes += 4
			writable = append(writable, name)
		}
		if h.VRRP == VRRPMaster || containsAddr(h.VIPs, ip) {
			votes += 2
			held = append(held, name)
		}
		for i, hs := range s.spec.Hosts {
			if hs.Mode == config.HostModeSlave && s.st.Hosts[i].Follows == name {
				votes++
			}
		}
		if h.State == StateHardOffline && !s.manual() {
			votes = 0
		}
		if votes > bestVotes {
			best, bestVotes = name, votes
		}
	}
	var conflicts []string
	if len(held) > 1 {
		s.log(LevelWarn, "Role '%s(%s)' was configured on %d hosts during monitor startup.", w.Name, ip, len(held))
		conflicts = append(conflicts, fmt.Sprintf("  Role '%s(%s)' is configured on %s", w.Name, ip, strings.Join(held, ", ")))
	}
	if len(writable) > 1 {
		s.log(LevelWarn, "MySQL is writable on %d hosts during monitor startup: %s", len(writable), strings.Join(writable, ", "))
		conflicts = append(conflicts, "  MySQL is writable on "+strings.Join(writable, ", "))
	}
	if best != "" {
		s.st.role(w.Name).IPs[0].Host = best
		if h := s.host(best); !s.manual() {
			s.setState(h, StateOnline)
		}
	}
	return conflicts
}

// startupRoleIP decides one non-writer role IP.
func (s *step) startupRoleIP(rs *RoleSpec, ipText string) {
	ra := s.st.role(rs.Name)
	var a *IPAssignment
	for j := range ra.IPs {
		if ra.IPs[j].IP.String() == ipText {
			a = &ra.IPs[j]
		}
	}
	best := ""
	for _, name := range rs.Hosts {
		h := s.host(name)
		if !containsAddr(h.VIPs, a.IP) {
			continue
		}
		if !s.manual() && h.State != StateOnline && h.State != StateAwaitingRecovery {
			continue
		}
		best = name
		break
	}
	if best == "" {
		return
	}
	h := s.host(best)
	if h.State == StateAwaitingRecovery {
		if !s.replVerified(h) {
			s.log(LevelWarn, "Not restoring role '%s(%s)' on host '%s': its replication is not verified (%s)",
				rs.Name, a.IP, best, s.replProblem(h))
			return
		}
		s.setState(h, StateOnline)
	}
	a.Host = best
}

// logStartupStatus logs the decision, one line per host.
func (s *step) logStartupStatus() {
	s.log(LevelInfo, "Startup status:")
	for _, h := range s.st.Hosts {
		var facts []string
		if h.Writable {
			facts = append(facts, "writable")
		}
		if h.VRRP != VRRPUnknown {
			facts = append(facts, "vrrp "+h.VRRP.String())
		}
		if h.Follows != "" {
			facts = append(facts, "replicates from "+h.Follows)
		}
		roles := make([]string, 0)
		for _, r := range s.st.HostRoles(h.Name) {
			roles = append(roles, r.String())
		}
		about := ""
		if len(facts) > 0 {
			about = " (" + strings.Join(facts, ", ") + ")"
		}
		s.log(LevelInfo, "    %s: %s%s. Roles: %s", h.Name, h.State, about, strings.Join(roles, ", "))
	}
}
