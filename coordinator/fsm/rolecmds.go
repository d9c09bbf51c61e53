package fsm

import (
	"net/netip"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// setActive is `set_active`. Leaving PASSIVE also removes the roles of hosts that
// are not ONLINE: PASSIVE no longer clears them when hosts fail, so
// ACTIVE must start clean.
func (s *step) setActive() {
	if s.st.Mode == config.ModeActive {
		s.reply(true, "OK: Already in active mode.")
		return
	}
	s.log(LevelInfo, "Admin changed mode from '%s' to 'ACTIVE'", ModeName(s.st.Mode))
	s.st.Mode, s.st.PassiveInfo = config.ModeActive, ""
	s.cleanupNotOnline()
	s.reply(true, "OK: Switched into active mode.")
}

// setManual is `set_manual`; WAIT counts as manual already.
func (s *step) setManual() {
	if s.manual() {
		s.reply(true, "OK: Already in manual mode.")
		return
	}
	s.log(LevelInfo, "Admin changed mode from '%s' to 'MANUAL'", ModeName(s.st.Mode))
	s.st.Mode, s.st.PassiveInfo = config.ModeManual, ""
	s.reply(true, "OK: Switched into manual mode.")
}

func (s *step) setPassive() {
	if s.passive() {
		s.reply(true, "OK: Already in passive mode.")
		return
	}
	s.log(LevelInfo, "Admin changed mode from '%s' to 'PASSIVE'", ModeName(s.st.Mode))
	s.st.Mode, s.st.PassiveInfo = config.ModePassive, "Admin switched to passive mode."
	s.reply(true, "OK: Switched into passive mode.")
}

// roleAndHost runs the lookups move_role and move_role --force
// share; it replies and returns nil on failure.
func (s *step) roleAndHost(role, host string) (*RoleSpec, *HostStatus) {
	rs := s.spec.role(role)
	if rs == nil {
		s.reply(false, "ERROR: Unknown role name '%s'!", role)
		return nil, nil
	}
	h := s.host(host)
	if h == nil {
		s.unknownHost(host)
		return nil, nil
	}
	return rs, h
}

func (s *step) cantHandle(rs *RoleSpec, host, only string) {
	s.reply(false, "ERROR: Host '%s' can't handle role '%s'. %s hosts could: %s",
		host, rs.Name, only, strings.Join(rs.Hosts, ", "))
}

// moveRole is `move_role <role> <host>`. For a balanced role it
// removes the role's IPs from the host; they are redistributed in the
// same step without the host.
func (s *step) moveRole(role, host string) {
	if s.passive() {
		s.reply(false, "ERROR: This command is not allowed in passive mode")
		return
	}
	rs, h := s.roleAndHost(role, host)
	if rs == nil {
		return
	}
	if rs.Mode == config.RoleModeBalanced {
		s.log(LevelInfo, "Removing balanced role %s from host '%s':", role, host)
		ra := s.st.role(role)
		for j := range ra.IPs {
			if ra.IPs[j].Host == host {
				s.log(LevelInfo, "    Removed role '%s(%s)' from host '%s'", role, ra.IPs[j].IP, host)
				ra.IPs[j].Host = ""
			}
		}
		if s.exclude == nil {
			s.exclude = map[string]string{}
		}
		s.exclude[role] = host
		s.reply(true, "OK: Balanced role %s has been removed from host '%s'. Now you can wait some time and check new roles info!", role, host)
		return
	}
	if h.State != StateOnline {
		s.reply(false, "ERROR: Can't move role to host with state %s.", h.State)
		return
	}
	if !contains(rs.Hosts, host) {
		s.cantHandle(rs, host, "Only following")
		return
	}
	ra := s.st.role(role)
	old := ra.IPs[0].Host
	switch {
	case old == host:
		s.reply(true, "OK: Role is on '%s' already. Skipping command.", host)
	case h.Unreachable:
		s.reply(false, "ERROR: Can't reach agent daemon on '%s'! Can't move roles there!", host)
	case s.st.Mode == config.ModeActive && rs.Prefer != "" && old == rs.Prefer:
		s.reply(false, "ERROR: Role '%s' is assigned to preferred host '%s'. Can't move it!", role, old)
	default:
		s.log(LevelFatal, "Admin moved role '%s' from '%s' to '%s'", role, old, host)
		ra.IPs[0].Host = host
		s.reply(true, "OK: Role '%s' has been moved from '%s' to '%s'. Now you can wait some time and check new roles info!", role, old, host)
	}
}

// forcedMoveRole is `move_role --force <role> <host>`: the active master
// role onto a REPLICATION_FAIL/DELAY host, which becomes ONLINE; the old
// owner is demoted if its own replication is failing.
func (s *step) forcedMoveRole(role, host string) {
	if s.passive() {
		s.reply(false, "ERROR: This command is not allowed in passive mode")
		return
	}
	rs, h := s.roleAndHost(role, host)
	if rs == nil {
		return
	}
	if role != s.spec.ActiveMasterRole {
		s.reply(false, "ERROR: move_role --forced may be used for the active master role only!")
		return
	}
	from := h.State
	if from != StateReplicationFail && from != StateReplicationDelay {
		s.reply(false, "ERROR: Can't force move of role to host with state %s.", from)
		return
	}
	if !contains(rs.Hosts, host) {
		s.cantHandle(rs, host, "Only following")
		return
	}
	ra := s.st.role(role)
	old := ra.IPs[0].Host
	switch {
	case old == host:
		s.reply(true, "OK: Role is on '%s' already. Skipping command.", host)
		return
	case h.Unreachable:
		s.reply(false, "ERROR: Can't reach agent daemon on '%s'! Can't move roles there!", host)
		return
	}
	s.log(LevelFatal, "Admin forced move of role '%s' from '%s' to '%s'", role, old, host)
	ra.IPs[0].Host = host
	s.log(LevelFatal, "State of host '%s' changed from %s to ONLINE (because of move_role --force)", host, from)
	s.setState(h, StateOnline)
	if o := s.host(old); o != nil { // MMM looked up the checks of host ''
		demote := StateUnknown
		switch {
		case !o.ok(CheckRepThreads):
			demote = StateReplicationFail
		case !o.ok(CheckRepBacklog):
			demote = StateReplicationDelay
		}
		if demote != StateUnknown {
			s.log(LevelFatal, "State of host '%s' changed from ONLINE to %s (because of move_role --force)", old, demote)
			s.setState(o, demote)
			if s.st.Mode == config.ModeActive {
				s.clearRoles(old)
			}
		}
	}
	s.reply(true, "OK: Role '%s' has been moved from '%s' to '%s' enforcedly. Now you can wait some time and check new roles info!", role, old, host)
}

// setIP is `set_ip <ip> <host>`, PASSIVE only: the assignment changes,
// nothing is sent until the mode changes.
func (s *step) setIP(ipText, host string) {
	if !s.passive() {
		s.reply(false, "ERROR: This command is only allowed in passive mode")
		return
	}
	ip, err := netip.ParseAddr(ipText)
	var rs *RoleSpec
	for i := range s.spec.Roles {
		if err == nil && containsAddr(s.spec.Roles[i].IPs, ip) {
			rs = &s.spec.Roles[i]
		}
	}
	if rs == nil {
		s.reply(false, "ERROR: Unknown ip '%s'!", ipText)
		return
	}
	h := s.host(host)
	switch {
	case h == nil:
		s.unknownHost(host)
		return
	case !contains(rs.Hosts, host):
		s.cantHandle(rs, host, "Following")
		return
	case h.State != StateOnline:
		s.reply(false, "ERROR: Host '%s' is '%s' at the moment. Can't move role with ip '%s' there.", host, h.State, ipText)
		return
	}
	s.log(LevelFatal, "Admin set role '%s(%s)' to host '%s'", rs.Name, ip, host)
	ra := s.st.role(rs.Name)
	for j := range ra.IPs {
		if ra.IPs[j].IP == ip {
			ra.IPs[j].Host = host
		}
	}
	s.reply(true, "OK: Set role '%s(%s)' to host '%s'.", rs.Name, ip, host)
}

func containsAddr(list []netip.Addr, ip netip.Addr) bool {
	for _, x := range list {
		if x == ip {
			return true
		}
	}
	return false
}
