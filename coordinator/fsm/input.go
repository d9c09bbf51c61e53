package fsm

import (
	"net/netip"
	"time"
)

// Input is one thing that happened: an observation, an admin command, a
// tick, or the order to start. Inputs are values; the raft log carries
// them in order and every replica applies the same sequence.
type Input interface{ input() }

// Probe is one result of one of the leader's checks against a host:
// Result plus MMM's message ("OK", "ERROR: Replication is broken", …).
// Failures are trapped for the check's trap_period.
type Probe struct {
	Host    string
	Check   Check
	Result  Result
	Message string
	// Started is when the check began, in the leader's clock; zero =
	// unknown. A mysql OK that began before evidence that mysqld is gone
	// was observed says nothing about mysqld since: it is dropped.
	Started time.Time `json:",omitzero"`
}

// Evidence is definitive local evidence from the host's own coordinator
// that mysqld is gone. It fails the mysql check at once (no trap_period)
// unless an OK probe newer than Observed was seen.
type Evidence struct {
	Host     string
	Kind     EvidenceKind
	Observed time.Time // when the leader received the report, in its clock; zero = now
	Detail   string    // e.g. the socket path or the exit status
}

// Reachability says whether the leader can talk to the host's coordinator
// (MMM's agent). Unreachable means silent for longer than the lease
// and a margin, so that coordinator, if alive, has closed its writer
// eligibility (its MySQL fenced by keepalived and mmm-notify) and dropped
// its reader VIPs by itself. With a failing ping it makes the host lost
// at once (hostLost).
type Reachability struct {
	Host      string
	Reachable bool
}

// Uptime is the host's uptime in seconds (/proc/uptime), MMM's UP:.
type Uptime struct {
	Host    string
	Seconds float64
}

// Follows says which host a host replicates from (its Master_Host mapped
// to a host name), "" when it does not replicate or the master is unknown.
type Follows struct {
	Host   string
	Master string
}

// VRRP is the state keepalived reports for a master's VRRP instance.
type VRRP struct {
	Host  string
	State VRRPState
}

// Writable says whether MySQL on the host accepts writes (read_only=0).
type Writable struct {
	Host     string
	Writable bool
}

// VIPs lists the role IPs configured on the host's interface.
type VIPs struct {
	Host string
	IPs  []netip.Addr
}

// GTID is the host's executed GTID position.
type GTID struct {
	Host     string
	Position Position
}

// Refusal says that a repair of the host's replication (a rejoin or a
// repoint) was refused because the host has transactions the active
// master lacks, with Reason; an empty Reason says that a repair has
// succeeded since. Until then the host's replication does not count as
// verified, whatever its checks say: they report the stopped replication
// only after trap_period, and a host that misses acknowledged writes or
// holds errant ones must never become ONLINE (only set_online --force,
// the operator's word, overrides it).
type Refusal struct {
	Host   string
	Reason string
}

// Tick only lets time pass: time-based rules (auto_set_online, the WAIT
// timeout, retries) are evaluated on every input, ticks included.
type Tick struct{}

// Start runs MMM's startup decision on a fresh state from the
// observations gathered so far; checks without a result count as failed,
// like MMM's initial checks. Ignored once started.
type Start struct{}

func (Probe) input()        {}
func (Evidence) input()     {}
func (Reachability) input() {}
func (Uptime) input()       {}
func (Follows) input()      {}
func (VRRP) input()         {}
func (Writable) input()     {}
func (VIPs) input()         {}
func (GTID) input()         {}
func (Tick) input()         {}
func (Refusal) input()      {}
func (Start) input()        {}
func (Command) input()      {}
