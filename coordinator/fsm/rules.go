package fsm

import (
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// hostCtx is what the transition rules of one host look at during a
// pass. Peer fields are read live: a transition made for an earlier
// host is visible to a later one, as in MMM.
type hostCtx struct {
	s  *step
	h  *HostStatus
	am string // active master, snapshotted at the start of the pass

	p, m, t, b bool // ping, mysql, rep_threads, rep_backlog OK

	peer            string
	peerState       HostState // StateUnknown when there is no peer
	peerOnlineSince time.Time
	peerPM          bool // peer's ping and mysql OK
}

func (s *step) newHostCtx(h *HostStatus, am string) *hostCtx {
	c := &hostCtx{s: s, h: h, am: am,
		p: h.ok(CheckPing), m: h.ok(CheckMySQL),
		t: h.ok(CheckRepThreads), b: h.ok(CheckRepBacklog)}
	hs := s.hostSpec(h.Name)
	c.peer = hs.Peer
	if c.peer == "" && hs.Mode == config.HostModeSlave {
		c.peer = am
	}
	if p := s.host(c.peer); p != nil {
		c.peerState, c.peerOnlineSince = p.State, p.OnlineSince
		c.peerPM = p.ok(CheckPing) && p.ok(CheckMySQL)
	}
	return c
}

func (c *hostCtx) up() bool          { return c.p && c.m }
func (c *hostCtx) replHealthy() bool { return c.t && c.b }
func (c *hostCtx) peerOnline() bool  { return c.peerState == StateOnline }

// rule is one of MMM's host state transition rules. Rules are tried in
// table order; the first whose state and match fit is applied and ends
// the host's evaluation for this pass (MMM's `next`). A rule whose apply does
// nothing is a guard that stops the later rules.
type rule struct {
	name  string
	from  []HostState
	match func(*hostCtx) bool
	apply func(*hostCtx)
}

var (
	onlineOnly   = []HostState{StateOnline}
	awaitingOnly = []HostState{StateAwaitingRecovery}
	hardOnly     = []HostState{StateHardOffline}
	replStates   = []HostState{StateReplicationFail, StateReplicationDelay}
)

// hostRules is MMM 2.2.1's _check_host_states in its order, with the
// fixes named in the package documentation.
var hostRules = []rule{
	// ONLINE
	{"online/hard-offline", onlineOnly,
		func(c *hostCtx) bool { return !c.up() },
		func(c *hostCtx) { c.fail(StateHardOffline, true) }},
	{"online/active-master", onlineOnly,
		func(c *hostCtx) bool { return c.h.Name == c.am },
		(*hostCtx).warnActiveMasterReplication},
	{"online/peer-grace", onlineOnly,
		func(c *hostCtx) bool { return c.peerOnline() && c.s.now.Sub(c.peerOnlineSince) <= PeerGrace },
		nop},
	{"online/restart-grace", onlineOnly,
		func(c *hostCtx) bool { return c.s.restartGrace(c.h) },
		nop},
	{"online/replication-fail", onlineOnly,
		func(c *hostCtx) bool { return c.up() && !c.t && c.peerOnline() && c.peerPM },
		func(c *hostCtx) { c.fail(StateReplicationFail, false) }},
	{"online/replication-delay", onlineOnly,
		func(c *hostCtx) bool { return c.up() && !c.b && c.t && c.peerOnline() && c.peerPM },
		func(c *hostCtx) { c.fail(StateReplicationDelay, false) }},

	// AWAITING_RECOVERY
	{"awaiting/hard-offline", awaitingOnly,
		func(c *hostCtx) bool { return !c.up() },
		func(c *hostCtx) { c.to(StateHardOffline, "") }},
	{"awaiting/flapping-auto-online", awaitingOnly,
		func(c *hostCtx) bool {
			t := c.s.spec.Timing
			return c.up() && c.replHealthy() && c.h.Flapping && t.AutoSetOnline > 0 &&
				c.s.now.Sub(c.h.lastCheckChange()) >= t.FlapDuration && c.s.replVerified(c.h)
		},
		(*hostCtx).flappingAutoOnline},
	{"awaiting/flapping-stays", awaitingOnly,
		func(c *hostCtx) bool { return c.h.Flapping },
		nop},
	{"awaiting/short-downtime", awaitingOnly,
		func(c *hostCtx) bool {
			d := c.h.Uptime - c.h.LastUptime
			return c.up() && c.replHealthy() && !c.h.FormerWriter && c.h.LastUptime > 0 &&
				d > 0 && d < ShortDowntime.Seconds() && c.s.replVerified(c.h)
		},
		func(c *hostCtx) {
			c.online(" because it was down for only %d seconds", int64(c.h.Uptime-c.h.LastUptime))
		}},
	{"awaiting/auto-set-online", awaitingOnly,
		func(c *hostCtx) bool {
			a := c.s.spec.Timing.AutoSetOnline
			return c.up() && c.replHealthy() && a > 0 && c.s.now.Sub(c.h.LastStateChange) >= a &&
				c.s.replVerified(c.h)
		},
		func(c *hostCtx) {
			c.online(" because of auto_set_online(%d seconds). It was in state AWAITING_RECOVERY for %d seconds",
				secs(c.s.spec.Timing.AutoSetOnline), secs(c.s.now.Sub(c.h.LastStateChange)))
		}},

	// HARD_OFFLINE
	{"hard-offline/former-writer", hardOnly,
		func(c *hostCtx) bool { return c.up() && c.h.FormerWriter },
		func(c *hostCtx) { c.to(StateAwaitingRecovery, "") }},
	{"hard-offline/replication-fail", hardOnly,
		func(c *hostCtx) bool { return c.up() && c.replChecked() && !c.t },
		func(c *hostCtx) { c.to(StateReplicationFail, "") }},
	{"hard-offline/replication-delay", hardOnly,
		func(c *hostCtx) bool { return c.up() && c.replChecked() && !c.b },
		func(c *hostCtx) { c.to(StateReplicationDelay, "") }},
	{"hard-offline/awaiting-recovery", hardOnly,
		func(c *hostCtx) bool { return c.up() },
		func(c *hostCtx) { c.to(StateAwaitingRecovery, "") }},

	// REPLICATION_FAIL / REPLICATION_DELAY
	{"replication-fail/delay", []HostState{StateReplicationFail},
		func(c *hostCtx) bool { return c.up() && !c.b && c.t },
		func(c *hostCtx) { c.to(StateReplicationDelay, "") }},
	{"replication-delay/fail", []HostState{StateReplicationDelay},
		func(c *hostCtx) bool { return c.up() && !c.t },
		func(c *hostCtx) { c.to(StateReplicationFail, "") }},
	{"replication/flapping", replStates,
		func(c *hostCtx) bool { return c.recovered() && c.h.Flapping },
		func(c *hostCtx) { c.to(StateAwaitingRecovery, " (because it's flapping)") }},
	{"replication/online", replStates,
		(*hostCtx).recovered,
		func(c *hostCtx) { c.online("") }},
	{"replication/hard-offline", replStates,
		func(c *hostCtx) bool { return !c.up() },
		func(c *hostCtx) { c.fail(StateHardOffline, true) }},
}

func nop(*hostCtx) {}

// replChecked: with an active master, or for a host that cannot be the
// active master, HARD_OFFLINE passes through the replication states.
// Without one, a writer-capable host skips them so it can recover with
// nobody to replicate from.
func (c *hostCtx) replChecked() bool { return c.am != "" || !c.s.isMaster(c.h.Name) }

// recovered: a replication state ends when replication is healthy and
// verified, or — MMM's availability bypass — when the peer is not
// ONLINE.
func (c *hostCtx) recovered() bool {
	return c.up() && ((c.replHealthy() && c.s.replVerified(c.h)) || !c.peerOnline())
}

// evaluate applies the first matching rule to the host; it returns the
// rule's name ("" when none matched).
func (c *hostCtx) evaluate() string {
	for _, r := range hostRules {
		if stateIn(c.h.State, r.from) && r.match(c) {
			r.apply(c)
			return r.name
		}
	}
	return ""
}

func stateIn(s HostState, list []HostState) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// checkHostStates is one pass of the host state machine over all hosts in
// configuration order, then the WAIT-mode promotion.
func (s *step) checkHostStates() {
	s.updateAgentDown()
	am := s.activeMaster()
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		if h.State == StateAdminOffline {
			continue
		}
		s.newHostCtx(h, am).evaluate()
		if h.State == StateOnline && !h.ReplRestarted.IsZero() && s.replVerified(h) {
			h.ReplRestarted = time.Time{} // verified: eligible for roles again
		}
	}
	s.waitModePromotion()
}

// updateAgentDown keeps MMM's agent_down flag: set when the host's
// coordinator does not answer although ping is OK, cleared when it does.
func (s *step) updateAgentDown() {
	for i := range s.st.Hosts {
		h := &s.st.Hosts[i]
		switch {
		case h.Unreachable && h.ok(CheckPing) && !h.AgentDown:
			h.AgentDown = true
			s.log(LevelFatal, "Can't reach agent on host '%s'", h.Name)
		case !h.Unreachable && h.AgentDown:
			h.AgentDown = false
			if h.State == StateOnline {
				// It never failed: only its agent was away.
				h.FormerWriter, h.MustRejoin = false, false
			}
			s.log(LevelFatal, "Agent on host '%s' is reachable again", h.Name)
		}
	}
}

// to changes the state with MMM's log line "State of host … changed from
// … to …<suffix>".
func (c *hostCtx) to(state HostState, suffix string) {
	c.s.log(LevelFatal, "State of host '%s' changed from %s to %s%s", c.h.Name, c.h.State, state, suffix)
	c.s.setState(c.h, state)
}

func (c *hostCtx) online(format string, a ...any) {
	c.s.log(LevelFatal, "State of host '%s' changed from %s to ONLINE"+format,
		append([]any{c.h.Name, c.h.State}, a...)...)
	c.s.setState(c.h, StateOnline)
}

func (c *hostCtx) flappingAutoOnline() {
	c.s.log(LevelFatal, "State of flapping host '%s' changed from %s to ONLINE because of auto_set_online and flap_duration(%d) seconds passed without another failure. It was in state AWAITING_RECOVERY for %d seconds",
		c.h.Name, c.h.State, secs(c.s.spec.Timing.FlapDuration), secs(c.s.now.Sub(c.h.LastStateChange)))
	c.s.setState(c.h, StateOnline)
}

// fail is a transition to a failure state. From ONLINE MMM clears the
// host's roles and notifies it, killing it if the notification fails;
// in MANUAL/WAIT the host keeps its roles and nothing is sent. From a
// replication state MMM only notifies (and may kill). In PASSIVE nothing
// is touched; a host that still holds roles in MANUAL/WAIT is never
// killed. withChecks adds "(ping: …, mysql: …)".
func (c *hostCtx) fail(state HostState, withChecks bool) {
	suffix := ""
	if withChecks {
		suffix = " (ping: " + okText(c.p) + ", mysql: " + okText(c.m) + ")"
	}
	from := c.h.State
	wasWriter := c.h.Name == c.s.activeMaster()
	c.to(state, suffix)
	if state == StateHardOffline && wasWriter {
		c.h.FormerWriter, c.h.MustRejoin = true, true
	}
	if c.s.passive() || c.s.manual() {
		return
	}
	held := len(c.s.st.HostRoles(c.h.Name))
	if from == StateOnline {
		c.s.clearRoles(c.h.Name)
	}
	c.s.notifyOrKill(c.h, held)
}

// warnActiveMasterReplication reports that the active master's own
// replication from its ONLINE peer is broken — MMM ignored it silently;
// ringNeed starts it again.
// A deliberately removed replication ("not set up") is not reported.
func (c *hostCtx) warnActiveMasterReplication() {
	rt := c.h.check(CheckRepThreads)
	if c.t || !c.peerOnline() || strings.HasPrefix(rt.Message, "ERROR: Replication is not set up") {
		c.h.ReplWarned = c.h.ReplWarned && !c.t
		return
	}
	if !c.h.ReplWarned {
		c.h.ReplWarned = true
		c.s.log(LevelWarn, "Replication on active master '%s' from its peer '%s' is broken; starting it again (MMM ignored it). Message: %s",
			c.h.Name, c.peer, rt.Message)
	}
}

func okText(ok bool) string {
	if ok {
		return "OK"
	}
	return "not OK"
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }
