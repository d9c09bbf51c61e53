// Package coordinator is mmm-coordinator: one member of a hashicorp/raft
// group that runs on every MySQL host (and on witnesses) and keeps MySQL-
// MMM's monitor state in the replicated log, so that any host — the
// monitor's included — can die without the cluster losing its memory.
//
// # Replication
//
// The log carries INPUTS, not derived state (wire.go): each entry is a
// list of fsm.Input (probe results, reports, commands, Tick, Start) with
// the leader's timestamp, and/or the results of executed actions. Every
// replica (Replica, the raft FSM) steps its own fsm.Machine with them, so
// all compute the same state and the same actions. Because the state
// machine emits an action only once, at the Step that decided it, the
// replica keeps a replicated list of pending actions (ids from the raft
// index); the leader executes them in order and commits each outcome,
// which clears the action or schedules a retry. A new leader simply runs
// the list again (executors are idempotent). The replica also keeps a
// bounded history (events in MMM's wording, commands, actions with
// outcome and duration) and the writer gates. Snapshots hold the
// machine's state (fsm.Machine.Marshal) plus those.
//
// # The leader
//
// The leader is MMM's monitor (monitor.go): every host is probed by its
// own goroutine, each check bounded by its own deadline; each check
// period the results, the hosts' reports and raft's view of which
// coordinators are reachable go into one entry. Startup (fsm.Start) runs
// once, at the first leadership, after one round of initial checks. The
// dispatcher (executor.go) executes pending actions one at a time beside
// the monitor; a kind without an Executor is recorded as skipped. With
// Options.LeadershipTransfer the leader hands raft leadership away from
// the writer host.
//
// # Every node
//
// Each coordinator applies its own host's share (local.go): its keepalived
// track_file is eligible only while the committed state makes this host
// the writer — the writer role's owner with an executed OpenWriter (the
// "gate") — and only while this node has heard from a raft leader within
// the lease (raft's LastContact; on the leader, raft's own leader lease,
// which steps it down long before). A node cut off from the majority thus
// closes its track_file within the lease by itself. It watches its local
// mysqld over the socket (mysqlwatch.go) and reads keepalived's notify
// fifo (fifo.go), and reports to the leader (Report) over the raft port,
// which carries a second, tiny protocol for that (peer.go): definitive
// evidence and VRRP transitions at once, uptime and VIPs every period.
//
// # A lost host
//
// The leader records when each follower last answered an AppendEntries
// (contact.go; raft's heartbeats come every HeartbeatTimeout/10). A
// follower silent for a few heartbeats has its host probed at once
// (silence.go); one silent for lostAfter (lease + lease/4) is
// Unreachable: its coordinator, if alive, has closed its track file by
// then. Unreachable with a failing ping is a lost host, HARD_OFFLINE at
// once (fsm hostLost), so a host death is taken over about 1.25 × lease
// after its last heartbeat — no trap_period, no RPC timeout. A new leader
// counts every follower as heard from at the start of its term: it
// cannot know better, and later is the safe side.
//
// Coordinator implements api.Backend for the HTTP API.
package coordinator
