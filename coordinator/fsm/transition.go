package fsm

import (
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// setState is MMM's state setter (lib/Monitor/Agent.pm): it
// stamps last_state_change and online_since and counts flaps. A change
// from ONLINE to anything but ADMIN_OFFLINE counts as a failure; the
// (flap_count+1)th failure within flap_duration of the window's first
// failure marks the host flapping (MMM's fixed window is kept, but it
// is persisted with the state).
func (s *step) setState(h *HostStatus, to HostState) {
	from := h.State
	if from == to {
		return
	}
	t := s.spec.Timing
	if from == StateOnline && to != StateAdminOffline && t.FlapCount > 0 {
		if h.FlapStart.IsZero() || s.now.Sub(h.FlapStart) > t.FlapDuration {
			h.FlapStart, h.FlapCount = s.now, 1
		} else {
			h.FlapCount++
			if h.FlapCount > t.FlapCount {
				h.Flapping, h.FlapStart = true, time.Time{}
				s.log(LevelFatal, "Host %s is flapping!", h.Name)
			}
		}
	}
	h.State, h.LastStateChange = to, s.now
	if to == StateOnline {
		h.OnlineSince = s.now
		h.LastUptime = h.Uptime // MMM copies it on the notification that follows
		h.FormerWriter = false
	} else {
		h.ReplRestarted = time.Time{}
	}
}

// replVerified reports whether the host's replication is proven: it
// follows the active master and both replication checks are OK. A host
// needs no replication when there is no active master or it is the active
// master. A refused repair (Refusal) holds until a repair succeeds. A
// host becomes ONLINE automatically, and by set_online from
// AWAITING_RECOVERY, only when this holds.
func (s *step) replVerified(h *HostStatus) bool {
	am := s.activeMaster()
	switch {
	case am == h.Name:
		return true
	case h.Refused != "" || h.MustRejoin:
		// Also with no active master: such a host may lack acknowledged
		// writes, and would be the next writer.
		return false
	case am == "":
		return true
	}
	return h.Follows == am && h.ok(CheckRepThreads) && h.ok(CheckRepBacklog)
}

// restartGrace: a host switched ONLINE from ADMIN_OFFLINE had its
// replication stopped; for PeerGrace its replication checks are not held
// against it while the restart takes effect (the same reasoning as MMM's
// peer grace).
func (s *step) restartGrace(h *HostStatus) bool {
	return !h.ReplRestarted.IsZero() && s.now.Sub(h.ReplRestarted) <= PeerGrace
}

// awaitingVerification: a host switched ONLINE from ADMIN_OFFLINE
// receives no role until its restarted replication is verified.
// checkHostStates clears the mark once it is.
func (s *step) awaitingVerification(h *HostStatus) bool {
	return !h.ReplRestarted.IsZero() && !s.replVerified(h)
}

// waitModePromotion is the end of MMM's pass in WAIT mode: switch
// to ACTIVE when the first two writer hosts are ONLINE, or when one has
// been ONLINE for wait_for_other_master; then clean up the roles of hosts
// that are not ONLINE. With fewer than two writer hosts MMM died;
// here the only master being ONLINE is enough.
func (s *step) waitModePromotion() {
	if s.st.Mode != config.ModeWait {
		return
	}
	w := s.spec.writerRole()
	switch {
	case w == nil:
		s.log(LevelInfo, "No active master role configured, switching from mode 'WAIT' to 'ACTIVE'.")
		s.st.Mode = config.ModeActive
	case len(w.Hosts) < 2:
		if s.host(w.Hosts[0]).State == StateOnline {
			s.log(LevelInfo, "Node %s is ONLINE, switching from mode 'WAIT' to 'ACTIVE'.", w.Hosts[0])
			s.st.Mode = config.ModeActive
		}
	default:
		one, two := s.host(w.Hosts[0]), s.host(w.Hosts[1])
		on1, on2 := one.State == StateOnline, two.State == StateOnline
		wait := s.spec.Timing.WaitForOtherMaster
		switch {
		case on1 && on2:
			s.log(LevelInfo, "Nodes %s and %s are ONLINE, switching from mode 'WAIT' to 'ACTIVE'.", one.Name, two.Name)
			s.st.Mode = config.ModeActive
		case wait > 0 && on1 != on2:
			living, dead := one, two
			if on2 {
				living, dead = two, one
			}
			if s.now.Sub(living.OnlineSince) >= wait {
				s.st.Mode = config.ModeActive
				s.log(LevelWarn, "Master %s did not come online for %d(wait_for_other_master) seconds. Switching from mode 'WAIT' to 'ACTIVE'",
					dead.Name, secs(wait))
			}
		}
	}
	if s.st.Mode == config.ModeActive {
		s.cleanupNotOnline()
	}
}

// cleanupNotOnline removes the roles of every host that is not ONLINE
// (entering ACTIVE from MANUAL, WAIT or PASSIVE), notifying each and
// killing it if that fails.
func (s *step) cleanupNotOnline() {
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		held := len(s.st.HostRoles(h.Name))
		if h.State == StateOnline || held == 0 {
			continue
		}
		s.clearRoles(h.Name)
		s.notifyOrKill(h, held)
	}
}
