package fsm

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Timing constants MMM hard-codes.
const (
	// PeerGrace: replication failures are ignored while the peer became
	// ONLINE at most this long ago (MySQL's default master-connect-retry).
	PeerGrace = 60 * time.Second
	// ShortDowntime: AWAITING_RECOVERY → ONLINE when the host's uptime grew
	// by less than this since it was last seen ONLINE.
	ShortDowntime = 60 * time.Second
	// ReplicationRetry: a replication repair that did not take effect is
	// requested again after this long.
	ReplicationRetry = 30 * time.Second
	// ReplicationRetryOnDemand: a set_online refused for a refused or
	// pending rejoin requests it again at once, at most this often (an
	// operator's script may repeat set_online in a loop).
	ReplicationRetryOnDemand = 2 * time.Second
	// ReenableRetry: a writer whose writes were enabled again and that
	// is still seen read-only this long after is enabled once more (its
	// own side's fence may have landed just after the enabling).
	ReenableRetry = 3 * time.Second
)

// Machine is MMM's monitor as a pure state machine. It is not safe for
// concurrent use; the coordinator applies raft log entries one at a time.
type Machine struct {
	spec Spec
	st   State
}

// New returns a machine with a fresh state (no history): every host
// UNKNOWN until a Start input runs the startup decision.
func New(spec Spec) (*Machine, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec = cloneSpec(spec)
	return &Machine{spec: spec, st: normalize(&spec, State{Mode: spec.Timing.Mode})}, nil
}

// Restore returns a machine continuing from serialised state (Marshal).
// A state written under another configuration is fitted to spec.
func Restore(spec Spec, data []byte) (*Machine, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrState, err)
	}
	spec = cloneSpec(spec)
	return &Machine{spec: spec, st: normalize(&spec, st)}, nil
}

// Marshal serialises the state; Restore(spec, data) continues from it
// with identical decisions.
func (m *Machine) Marshal() ([]byte, error) { return m.st.Marshal() }

// State returns a deep copy of the current state.
func (m *Machine) State() State { return m.st.Clone() }

// Spec returns a copy of the machine's spec.
func (m *Machine) Spec() Spec { return cloneSpec(m.spec) }

// Step applies one input at time now and returns what it caused. Order of
// work is MMM's main loop: stored check results, host states,
// the command, role distribution, then the actions that bring the world
// to the new state.
func (m *Machine) Step(now time.Time, in Input) Output {
	s := &step{spec: &m.spec, st: &m.st, now: now.UTC()}
	var cmd *Command
	switch v := in.(type) {
	case Command:
		cmd = &v
	case Start:
		if !s.st.Started {
			s.startup()
		}
	default:
		s.observe(in)
	}
	if !s.st.Started {
		if cmd != nil {
			s.reply(false, "ERROR: The monitor has not started yet.")
		}
		return s.out
	}
	s.checkHostStates()
	if cmd != nil {
		s.command(*cmd)
	}
	s.distributeRoles()
	s.emitActions()
	return s.out
}

// step is the working set of one Step.
type step struct {
	spec *Spec
	st   *State
	now  time.Time
	out  Output

	kills   []Action          // KillHost orders from failed notifications
	fences  []Action          // Fence/CloseWriter from observations
	exclude map[string]string // role → host left out of orphan assignment

	// reenable: the writer's MySQL was seen turning read-only (its own
	// side fenced it); emitActions enables writes again if it still may.
	reenable string
}

func (s *step) log(l Level, format string, a ...any) {
	s.out.Events = append(s.out.Events, Event{Level: l, Text: fmt.Sprintf(format, a...)})
}

func (s *step) act(a Action) { s.out.Actions = append(s.out.Actions, a) }

func (s *step) reply(ok bool, format string, a ...any) {
	s.out.Reply = &Reply{OK: ok, Text: fmt.Sprintf(format, a...)}
}

func (s *step) host(name string) *HostStatus { return s.st.Host(name) }

func (s *step) hostSpec(name string) *HostSpec {
	for i := range s.spec.Hosts {
		if s.spec.Hosts[i].Name == name {
			return &s.spec.Hosts[i]
		}
	}
	return nil
}

// activeMaster is the owner of the active master role, or "".
func (s *step) activeMaster() string {
	if s.spec.ActiveMasterRole == "" {
		return ""
	}
	return s.st.Owner(s.spec.ActiveMasterRole)
}

// manual is MMM's is_manual: MANUAL or WAIT.
func (s *step) manual() bool {
	return s.st.Mode == config.ModeManual || s.st.Mode == config.ModeWait
}

func (s *step) passive() bool { return s.st.Mode == config.ModePassive }

// notifyFails tells whether MMM's send_agent_status to host would fail:
// it is not attempted without ping, and an unreachable
// coordinator does not answer.
func (s *step) notifyFails(h *HostStatus) bool { return !h.ok(CheckPing) || h.Unreachable }

// observe stores an observation.
func (s *step) observe(in Input) {
	switch v := in.(type) {
	case Probe:
		s.probe(v)
	case Evidence:
		s.evidence(v)
	case Reachability:
		if h := s.host(v.Host); h != nil {
			h.Unreachable = !v.Reachable
			if ping := h.check(CheckPing); s.st.Started && h.Unreachable && ping.Trap == TrapFailing {
				s.hostLost(h, "ERROR: ping failing, coordinator silent")
			}
		}
	case Uptime:
		if h := s.host(v.Host); h != nil {
			h.Uptime = v.Seconds
			if h.State == StateOnline {
				h.LastUptime = v.Seconds
			}
		}
	case Follows:
		if h := s.host(v.Host); h != nil {
			h.Follows = v.Master
		}
	case Refusal:
		if h := s.host(v.Host); h != nil && v.Reason == "" && h.MustRejoin {
			h.MustRejoin = false
			s.log(LevelInfo, "Host '%s' rejoined the active master: no errant transactions, replication verified", v.Host)
		}
		if h := s.host(v.Host); h != nil && h.Refused != v.Reason {
			h.Refused = v.Reason
			if v.Reason != "" {
				s.log(LevelError, "Replication of '%s' was refused: %s", v.Host, v.Reason)
			} else {
				s.log(LevelInfo, "Replication of '%s' was repaired", v.Host)
			}
		}
	case Writable:
		s.observeWritable(v)
	case VRRP:
		s.observeVRRP(v)
	case VIPs:
		if h := s.host(v.Host); h != nil {
			h.VIPs = slices.Clone(v.IPs)
			slices.SortFunc(h.VIPs, netip.Addr.Compare)
		}
	case GTID:
		if h := s.host(v.Host); h != nil {
			h.Position = v.Position.clone()
		}
	}
}

// observeWritable fences a master that became writable without holding
// the writer role: a manual read_only=0 or a misbehaving hook must not
// create a second writer.
func (s *step) observeWritable(v Writable) {
	h := s.host(v.Host)
	if h == nil {
		return
	}
	was := h.Writable
	h.Writable = v.Writable
	if v.Writable {
		h.Reenabled = time.Time{} // an enabling took effect
	}
	if !s.st.Started || s.passive() || was == v.Writable || !s.isMaster(v.Host) {
		return
	}
	if !v.Writable {
		// Writable → read-only: only a writer whose writes were seen
		// enabled, so a promotion in progress (CatchUp first) is never
		// short-cut; emitActions decides after the rules ran.
		s.reenable = v.Host
		return
	}
	if am := s.activeMaster(); am != v.Host {
		s.log(LevelWarn, "MySQL on host '%s' is writable but the active master is '%s' - fencing it", v.Host, am)
		s.fences = append(s.fences, CloseWriter{v.Host}, Fence{v.Host})
	}
}

// observeVRRP re-closes the writer eligibility of a master whose
// keepalived claims the VIP without holding the writer role.
func (s *step) observeVRRP(v VRRP) {
	h := s.host(v.Host)
	if h == nil {
		return
	}
	was := h.VRRP
	h.VRRP = v.State
	if !s.st.Started || s.passive() || was == VRRPMaster || v.State != VRRPMaster {
		return
	}
	if am := s.activeMaster(); am != v.Host {
		s.log(LevelWarn, "keepalived on host '%s' reports MASTER but the active master is '%s'", v.Host, am)
		s.fences = append(s.fences, CloseWriter{v.Host})
	}
}

// isMaster reports whether host may hold the active master role.
func (s *step) isMaster(host string) bool {
	return s.spec.ActiveMasterRole != "" && s.spec.canHold(s.spec.ActiveMasterRole, host)
}

func cloneSpec(s Spec) Spec {
	out := s
	out.Hosts = slices.Clone(s.Hosts)
	out.Roles = make([]RoleSpec, len(s.Roles))
	for i, r := range s.Roles {
		r.Hosts = slices.Clone(r.Hosts)
		r.IPs = slices.Clone(r.IPs)
		out.Roles[i] = r
	}
	out.TrapPeriod = map[Check]time.Duration{}
	for k, v := range s.TrapPeriod {
		out.TrapPeriod[k] = v
	}
	return out
}
