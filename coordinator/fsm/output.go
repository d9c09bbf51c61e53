package fsm

import (
	"fmt"
	"net/netip"
	"strings"
)

// Output is what one Step produced. Events are log lines in the order MMM
// would log them; Actions are listed in the order they must be executed;
// Reply is set for a Command.
type Output struct {
	Events  []Event
	Actions []Action
	Reply   *Reply
}

// Event is one log line with MMM's level and wording.
type Event struct {
	Level Level
	Text  string
}

func (e Event) String() string { return fmt.Sprintf("%5s %s", e.Level, e.Text) }

// Reply is a command's answer: MMM's exact text, and whether it is an
// error (mmm_control exits 0 either way; mmmctl maps OK=false to a
// non-zero exit).
type Reply struct {
	OK   bool
	Text string
}

// Action is an order for the runtime. Every action is idempotent: doing
// it twice, or doing it when the world already matches, is harmless; so a
// new leader may redo Pending() without knowing what its predecessor
// finished.
//
// Ordering contract: the actions of one Output are executed in order. A
// writer handover is CloseWriter, Fence (and KillHost) of the old writer,
// then CatchUp, Promote, OpenWriter of the new one; if CatchUp or Promote
// fails, the runtime must not run the OpenWriter that follows (it reports
// instead; the state machine keeps the assignment, MMM's semantics).
type Action interface {
	fmt.Stringer
	// Subject is the host the action is about.
	Subject() string
}

// CloseWriter makes the host ineligible for the writer VIP (its
// track_file fails, keepalived leaves MASTER). First step of a demotion:
// the VIP goes before read_only and the kill.
type CloseWriter struct{ Host string }

// Fence demotes a (possibly former) writer: super_read_only=1, then kill
// client connections (max_kill_retries). Done over SQL by the leader,
// so it works without the host's coordinator.
type Fence struct{ Host string }

// KillHost runs MMM's kill_host_bin for a host that lost roles but cannot
// be told so: "<bin> <host> <ping 1|0>".
type KillHost struct {
	Host string
	Ping bool
}

// SetReaderVIPs is the full set of non-writer role IPs the host must have
// configured (add the missing ones with gratuitous ARP, remove the rest).
type SetReaderVIPs struct {
	Host string
	IPs  []netip.Addr // sorted; empty = none
}

// CatchUp makes the new writer apply everything any reachable host has:
// wait for its relay log, and pull what Sources have beyond it (GTID),
// up to at least Target. Previous is the old writer ("" = none).
type CatchUp struct {
	Host     string
	Previous string
	Target   Position // nil = unknown: wait for the relay log only
	Sources  []string // hosts ahead of Host on some stream, config order
}

// Promote makes the host the writer's MySQL: stop replicating from
// Previous, read_only=0, semisync master on. OpenWriter follows.
type Promote struct {
	Host     string
	Previous string
}

// OpenWriter makes the host eligible for the writer VIP (track_file).
type OpenWriter struct{ Host string }

// Repoint makes the host replicate from Master (GTID auto-positioning),
// START SLAVE, and verify both threads run.
type Repoint struct{ Host, Master string }

// StartReplication starts (START SLAVE) and verifies the host's
// replication, which already points at Master.
type StartReplication struct{ Host, Master string }

// StopReplication stops the host's replication (set_offline).
type StopReplication struct{ Host string }

func (a CloseWriter) Subject() string      { return a.Host }
func (a Fence) Subject() string            { return a.Host }
func (a KillHost) Subject() string         { return a.Host }
func (a SetReaderVIPs) Subject() string    { return a.Host }
func (a CatchUp) Subject() string          { return a.Host }
func (a Promote) Subject() string          { return a.Host }
func (a OpenWriter) Subject() string       { return a.Host }
func (a Repoint) Subject() string          { return a.Host }
func (a StartReplication) Subject() string { return a.Host }
func (a StopReplication) Subject() string  { return a.Host }

func (a CloseWriter) String() string { return "close-writer " + a.Host }
func (a Fence) String() string       { return "fence " + a.Host }
func (a KillHost) String() string {
	return fmt.Sprintf("kill-host %s ping=%d", a.Host, b2i(a.Ping))
}
func (a SetReaderVIPs) String() string {
	if len(a.IPs) == 0 {
		return "reader-vips " + a.Host + " none"
	}
	return "reader-vips " + a.Host + " " + joinAddrs(a.IPs)
}
func (a CatchUp) String() string {
	s := "catch-up " + a.Host
	if a.Previous != "" {
		s += " previous " + a.Previous
	}
	if a.Target != nil {
		s += " target " + a.Target.String()
	}
	if len(a.Sources) > 0 {
		s += " sources " + strings.Join(a.Sources, ",")
	}
	return s
}
func (a Promote) String() string {
	if a.Previous == "" {
		return "promote " + a.Host
	}
	return "promote " + a.Host + " previous " + a.Previous
}
func (a OpenWriter) String() string       { return "open-writer " + a.Host }
func (a Repoint) String() string          { return "repoint " + a.Host + " to " + a.Master }
func (a StartReplication) String() string { return "start-replication " + a.Host + " from " + a.Master }
func (a StopReplication) String() string  { return "stop-replication " + a.Host }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func joinAddrs(ips []netip.Addr) string {
	s := make([]string, len(ips))
	for i, ip := range ips {
		s[i] = ip.String()
	}
	return strings.Join(s, ",")
}
