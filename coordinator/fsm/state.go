package fsm

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// State is everything the machine remembers: MMM's in-memory monitor state
// plus what MMM lost on restart (flapping, timers, check statuses,
// agent_down) and what the runtime was last told to apply. It is
// replicated by raft, so it contains no pointers into the Spec and
// serialises deterministically.
type State struct {
	Started     bool // startup has run
	Mode        config.MonitorMode
	PassiveInfo string           `json:",omitempty"`
	Hosts       []HostStatus     // Spec order
	Roles       []RoleAssignment // Spec order
}

// HostStatus is one host's state.
type HostStatus struct {
	Name            string
	State           HostState
	OnlineSince     time.Time `json:",omitzero"` // last change into ONLINE
	LastStateChange time.Time `json:",omitzero"`

	// Flapping, MMM's fixed window anchored at its first failure.
	Flapping  bool      `json:",omitzero"`
	FlapStart time.Time `json:",omitzero"` // zero: no window open
	FlapCount int       `json:",omitzero"`

	// Uptime bookkeeping: LastUptime is Uptime as last seen while
	// the host was ONLINE.
	Uptime     float64 `json:",omitzero"`
	LastUptime float64 `json:",omitzero"`

	Unreachable bool `json:",omitzero"` // observation: its coordinator does not answer
	AgentDown   bool `json:",omitzero"` // MMM's agent_down: Unreachable while ping is OK

	// FormerWriter: the host failed while it was the active master; it
	// must pass through AWAITING_RECOVERY.
	FormerWriter bool `json:",omitzero"`
	// ReplRestarted: set_online from ADMIN_OFFLINE restarted replication
	// at this time; replication checks are not held against it for the
	// following grace period.
	ReplRestarted time.Time `json:",omitzero"`
	// RingStopped: the Promote that made this host the writer stopped its
	// replication from its peer; ringNeed starts it again once the
	// peer is back with verified replication. Cleared when the writer's
	// replication runs again or another host is promoted.
	RingStopped bool `json:",omitzero"`
	// MustRejoin: the host failed as the active master. It may hold
	// transactions nobody else has, and may still replicate from its
	// peer as the ring had it (then no check ever fails): it is rejoined
	// — errant transactions checked, replication verified — before it
	// counts as replicating. Cleared by a repair that succeeds.
	MustRejoin bool `json:",omitzero"`
	// Refused: the last repair of its replication was refused for this
	// reason (Refusal); "" = none, or a repair succeeded since.
	Refused string `json:",omitempty"`
	// Reenabled: when the leader last enabled this writer's writes
	// again after its own side fenced it (mayReenable); cleared once it
	// is seen writable. Still read-only ReenableRetry later, it is
	// enabled once more.
	Reenabled time.Time `json:",omitzero"`
	// ReplWarned: the warning about the active master's own broken
	// replication has been given for the current failure.
	ReplWarned bool `json:",omitzero"`

	Checks [numChecks]CheckStatus `json:",omitzero"` // indexed by Check-1

	// Observations.
	Follows  string       `json:",omitzero"` // host name of the master it replicates from; "" = none/unknown
	Writable bool         `json:",omitzero"` // read_only=0
	VRRP     VRRPState    `json:",omitzero"`
	VIPs     []netip.Addr `json:",omitzero"` // role IPs configured on its interface
	Position Position     `json:",omitzero"`

	Applied Applied    `json:",omitzero"` // what the runtime was last told for this host
	Repl    ReplIntent `json:",omitzero"` // the pending replication repair, if any
}

// TrapPhase is the per host×check state of MMM's failure trap.
type TrapPhase uint8

const (
	TrapInitial  TrapPhase = iota // -1: nothing seen yet
	TrapOK                        // 1
	TrapFailing                   // -2: failing, not reported yet
	TrapReported                  // 0: failure reported
	TrapUnknown                   // -3: last result was UNKNOWN
)

// CheckStatus is MMM's stored check status plus the trap.
type CheckStatus struct {
	Known      bool      `json:",omitzero"` // a result was stored (initial check or trapped report)
	OK         bool      `json:",omitzero"`
	LastChange time.Time `json:",omitzero"` // when OK last flipped
	Message    string    `json:",omitzero"` // text of the last stored result

	Trap   TrapPhase `json:",omitzero"`
	Since  time.Time `json:",omitzero"` // TrapFailing only: failing since
	LastOK time.Time `json:",omitzero"` // mysql only: when the last OK probe began; older evidence is stale
	// Evidence is when the last evidence that mysqld is gone was
	// observed (mysql only): an OK probe that began before it is stale.
	Evidence time.Time `json:",omitzero"`
}

// Applied is the per-host desired state the runtime was last told about.
// Actions are the difference between this and the new desired state.
type Applied struct {
	Known   bool         `json:",omitzero"` // false until the first full status was emitted
	Writer  bool         `json:",omitzero"` // writer eligibility (track_file) open
	Readers []netip.Addr `json:",omitzero"` // non-writer role IPs, sorted
}

// ReplIntent records the last replication repair requested for a host so
// that it is repeated only after ReplicationRetry.
type ReplIntent struct {
	Kind   string    `json:",omitempty"` // replRepoint or replStart
	Master string    `json:",omitempty"`
	At     time.Time `json:",omitzero"`
}

// RoleAssignment holds the owners of one role's IPs.
type RoleAssignment struct {
	Role string
	IPs  []IPAssignment // Spec order
}

// IPAssignment is one role IP and its owner ("" = orphaned).
type IPAssignment struct {
	IP   netip.Addr
	Host string
}

// RoleIP is one role IP as MMM names it: role(ip).
type RoleIP struct {
	Role string
	IP   netip.Addr
}

func (r RoleIP) String() string { return fmt.Sprintf("%s(%s)", r.Role, r.IP) }

// sortRoleIPs sorts as MMM does: by role name, then IP as a string.
func sortRoleIPs(rs []RoleIP) {
	slices.SortFunc(rs, func(a, b RoleIP) int {
		if c := strings.Compare(a.Role, b.Role); c != 0 {
			return c
		}
		return strings.Compare(a.IP.String(), b.IP.String())
	})
}

// Host returns the named host's status, or nil.
func (s *State) Host(name string) *HostStatus {
	for i := range s.Hosts {
		if s.Hosts[i].Name == name {
			return &s.Hosts[i]
		}
	}
	return nil
}

// role returns the named role's assignment, or nil.
func (s *State) role(name string) *RoleAssignment {
	for i := range s.Roles {
		if s.Roles[i].Role == name {
			return &s.Roles[i]
		}
	}
	return nil
}

// Owner returns the host holding an exclusive role (its first IP), or "".
func (s *State) Owner(role string) string {
	r := s.role(role)
	if r == nil || len(r.IPs) == 0 {
		return ""
	}
	return r.IPs[0].Host
}

// HostRoles lists the role IPs assigned to host, sorted as MMM sorts them.
func (s *State) HostRoles(host string) []RoleIP {
	var out []RoleIP
	for _, r := range s.Roles {
		for _, a := range r.IPs {
			if a.Host == host && host != "" {
				out = append(out, RoleIP{r.Role, a.IP})
			}
		}
	}
	sortRoleIPs(out)
	return out
}

// check returns a pointer to a host's stored status of check c.
func (h *HostStatus) check(c Check) *CheckStatus { return &h.Checks[c-1] }

// ok reports the stored status of check c (MMM's "check X is OK").
func (h *HostStatus) ok(c Check) bool { return h.Checks[c-1].OK }

// lastCheckChange is the newest last_change over the four checks.
func (h *HostStatus) lastCheckChange() time.Time {
	var t time.Time
	for _, c := range h.Checks {
		if c.LastChange.After(t) {
			t = c.LastChange
		}
	}
	return t
}

// Marshal serialises the state deterministically (JSON).
func (s *State) Marshal() ([]byte, error) { return json.Marshal(s) }

// Clone returns a deep copy.
func (s *State) Clone() State {
	out := *s
	out.Hosts = make([]HostStatus, len(s.Hosts))
	for i, h := range s.Hosts {
		h.VIPs = slices.Clone(h.VIPs)
		h.Position = h.Position.clone()
		h.Applied.Readers = slices.Clone(h.Applied.Readers)
		out.Hosts[i] = h
	}
	out.Roles = make([]RoleAssignment, len(s.Roles))
	for i, r := range s.Roles {
		r.IPs = slices.Clone(r.IPs)
		out.Roles[i] = r
	}
	return out
}

// normalize fits a state to a spec: hosts and roles in Spec order, hosts
// and IPs that are no longer configured dropped, new ones added (a new
// host of a running cluster waits in AWAITING_RECOVERY, as MMM starts
// unknown hosts), assignments that the role no longer allows orphaned.
func normalize(spec *Spec, in State) State {
	out := State{Started: in.Started, Mode: in.Mode, PassiveInfo: in.PassiveInfo}
	if out.Mode == config.ModeUnknown {
		out.Mode = spec.Timing.Mode
	}
	for _, hs := range spec.Hosts {
		if h := in.Host(hs.Name); h != nil {
			out.Hosts = append(out.Hosts, *h)
			continue
		}
		h := HostStatus{Name: hs.Name}
		if in.Started {
			h.State = StateAwaitingRecovery
		}
		out.Hosts = append(out.Hosts, h)
	}
	for _, rs := range spec.Roles {
		ra := RoleAssignment{Role: rs.Name}
		old := in.role(rs.Name)
		for _, ip := range rs.IPs {
			a := IPAssignment{IP: ip}
			if old != nil {
				for _, o := range old.IPs {
					if o.IP == ip && contains(rs.Hosts, o.Host) {
						a.Host = o.Host
					}
				}
			}
			ra.IPs = append(ra.IPs, a)
		}
		out.Roles = append(out.Roles, ra)
	}
	return out
}
