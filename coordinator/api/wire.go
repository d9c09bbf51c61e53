package api

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Endpoints. Reads are answered from the node's own committed state;
// writes (command, switchover, vrrp) go to the leader, forwarded by the
// server that received them.
const (
	PathPing       = "/v1/ping"       // GET: PingResponse
	PathShow       = "/v1/show"       // GET: Snapshot
	PathChecks     = "/v1/checks"     // GET ?host=&check=: ChecksResponse
	PathCommand    = "/v1/command"    // POST CommandRequest: CommandResponse
	PathSwitchover = "/v1/switchover" // POST SwitchoverRequest: CommandResponse
	PathHistory    = "/v1/history"    // GET ?limit=: HistoryResponse
	PathStatus     = "/v1/status"     // GET: Status
	PathVRRP       = "/v1/vrrp"       // POST VRRPReport (Host "" = the node's own): 204
	PathMetrics    = "/metrics"       // Prometheus, when ServerOptions.Metrics is set
)

// Header names.
const (
	// headerForwarded marks a request one server forwarded to the leader;
	// the receiver does not forward it again.
	headerForwarded = "Mmm-Forwarded-By"
	// headerTimeout carries the client's remaining deadline in
	// milliseconds, so that the server gives up (and says why) first.
	headerTimeout = "Mmm-Timeout-Ms"
)

// PingText is MMM's answer to ping.
const PingText = "OK: Pinged successfully!"

// PingResponse answers GET /v1/ping.
type PingResponse struct {
	Text    string // PingText
	Node    string // the host whose coordinator answered
	Leader  string // "" when no leader is known
	Version string
}

// CommandRequest is an mmm_control command line, e.g. "move_role --force
// writer db2" (fsm.ParseCommand's syntax; fsm.Command.String writes it).
type CommandRequest struct {
	Command string
}

// CommandResponse is the state machine's OK reply. An ERROR reply comes
// back as an ErrorResponse with code refused or unknown_*, the reply text
// as its Message.
type CommandResponse struct {
	Command string // the command applied (switchover: the move_role it chose)
	OK      bool
	Text    string
}

// SwitchoverRequest asks to move the writer role to To, or to the first
// other ONLINE host that can hold it when To is "".
type SwitchoverRequest struct {
	To string `json:",omitempty"`
}

// ChecksResponse answers GET /v1/checks: MMM's text and the same rows as
// data.
type ChecksResponse struct {
	Text   string // fsm.ChecksReport's text
	Checks []CheckRow
	// NoLeader: the answering node has no raft leader, so its stored
	// checks may be stale (Snapshot and Status say so by an empty Leader).
	NoLeader bool `json:",omitempty"`
}

// CheckRow is one host's stored status of one check.
type CheckRow struct {
	Host       string
	Check      string
	Known      bool // a result was stored
	OK         bool
	LastChange time.Time `json:",omitzero"`
	Message    string
}

// HistoryResponse answers GET /v1/history.
type HistoryResponse struct {
	Entries []HistoryEntry
}

// Status answers GET /v1/status: the raft group and every host's state,
// roles and replication at a glance.
type Status struct {
	Node     string
	Leader   string
	Term     uint64
	Applied  uint64
	Mode     string // ACTIVE, MANUAL, WAIT, PASSIVE
	Members  []Member
	Hosts    []HostSummary
	Taken    time.Time
	Warnings []string `json:",omitempty"`
}

// HostSummary is one MySQL host in Status.
type HostSummary struct {
	Host   string
	State  string   // MMM state
	Roles  []string // role(ip), sorted as MMM sorts them
	Writer bool     // holds the active master role
	Obs    *HostObs `json:",omitempty"` // the leader's latest observation
}

// StatusOf summarises a snapshot.
func StatusOf(s Snapshot) Status {
	st := Status{
		Node: s.Node, Leader: s.Leader, Term: s.Term, Applied: s.Applied,
		Mode: fsm.ModeName(s.State.Mode), Members: s.Members, Taken: s.Taken,
		Warnings: s.Warnings,
	}
	writer := s.State.Owner(s.Spec.ActiveMasterRole)
	for _, hs := range s.Spec.Hosts {
		h := HostSummary{Host: hs.Name, State: fsm.StateUnknown.String(),
			Writer: writer != "" && writer == hs.Name}
		if hst := s.State.Host(hs.Name); hst != nil {
			h.State = hst.State.String()
		}
		for _, r := range s.State.HostRoles(hs.Name) {
			h.Roles = append(h.Roles, r.String())
		}
		if i := slices.IndexFunc(s.Hosts, func(o HostObs) bool { return o.Host == hs.Name }); i >= 0 {
			obs := s.Hosts[i]
			h.Obs = &obs
		}
		st.Hosts = append(st.Hosts, h)
	}
	return st
}

// checkRows lists the stored check statuses in configuration order.
func checkRows(s Snapshot) []CheckRow {
	var rows []CheckRow
	for _, hs := range s.Spec.Hosts {
		h := s.State.Host(hs.Name)
		for _, c := range fsm.AllChecks {
			row := CheckRow{Host: hs.Name, Check: c.String()}
			if h != nil {
				cs := h.Checks[c-1]
				row.Known, row.OK, row.LastChange, row.Message = cs.Known, cs.OK, cs.LastChange, cs.Message
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// switchoverCommand chooses the move_role that a switchover is: the
// writer role to `to`, or to the first other host of the role (in
// configuration order) that is ONLINE. The zero-loss handover itself —
// close the old writer, fence it, catch the target up, promote — is the
// sequence of actions the state machine emits for that move. A non-nil
// reply refuses the switchover in MMM's style.
func switchoverCommand(s Snapshot, to string) (fsm.Command, *fsm.Reply) {
	role := s.Spec.ActiveMasterRole
	refuse := func(format string, a ...any) (fsm.Command, *fsm.Reply) {
		return fsm.Command{}, &fsm.Reply{Text: "ERROR: " + fmt.Sprintf(format, a...)}
	}
	if role == "" {
		return refuse("No active_master_role is configured. There is no writer to switch over.")
	}
	if to != "" {
		return fsm.Command{Op: fsm.OpMoveRole, Role: role, Host: to}, nil
	}
	i := slices.IndexFunc(s.Spec.Roles, func(r fsm.RoleSpec) bool { return r.Name == role })
	if i < 0 {
		return refuse("Unknown role name '%s'!", role)
	}
	owner := s.State.Owner(role)
	var states []string
	for _, h := range s.Spec.Roles[i].Hosts {
		if h == owner {
			continue
		}
		state := fsm.StateUnknown
		if hs := s.State.Host(h); hs != nil {
			state = hs.State
		}
		if state == fsm.StateOnline {
			return fsm.Command{Op: fsm.OpMoveRole, Role: role, Host: h}, nil
		}
		states = append(states, fmt.Sprintf("'%s' is '%s'", h, state))
	}
	if len(states) == 0 {
		return refuse("Role '%s' has no other host to switch over to.", role)
	}
	return refuse("No host can take over role '%s': %s.", role, strings.Join(states, ", "))
}
