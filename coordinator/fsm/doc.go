// Package fsm is MySQL-MMM 2.2.1's monitor as a pure state machine: the
// host states, the transition rules in MMM's order, the check trap,
// flapping, exclusive and balanced roles, the admin commands and the
// modes, with the weaknesses of MMM that are decisions fixed (listed
// below).
//
// # Shape
//
// In the style of etcd-io/raft: observations and the time go in, a new
// state, log events and actions come out. The package does no I/O, starts
// no goroutines, uses no randomness and never reads the clock:
//
//	m, _ := fsm.New(spec)                  // a fresh state, no history
//	out := m.Step(now, fsm.Probe{…})      // any Input
//	out.Events  // log lines with MMM's level and wording
//	out.Actions // orders for the runtime, in execution order
//	out.Reply   // the answer to a Command (MMM's exact texts)
//	data, _ := m.Marshal()                 // replicated by raft
//	m2, _ := fsm.Restore(spec, data)       // decides exactly like m
//
// The raft log carries inputs; every replica applies them in order and
// reaches the same state; only the leader executes the actions. Pending
// gives a new leader the actions that bring the world to the current
// state whatever its predecessor finished. Show and ChecksReport render
// `mmm_control show` and `checks` from a State.
//
// One Step is one pass of MMM's main loop: store the input (a
// probe result goes through MMM's failure trap), evaluate every host's
// transition rules in configuration order (rules.go, first match wins,
// each rule named and tested alone), run the command, distribute roles
// (orphans, preferences, balancing), then emit actions. A fresh
// machine only stores observations until a Start input runs the startup
// decision (startup.go) from them.
//
// # Actions
//
// Actions are idempotent orders (output.go). A writer handover is
// CloseWriter and Fence of the old writer, then CatchUp, Promote and
// OpenWriter of the new one; reader VIPs are removed everywhere before
// any host adds one; replicas are repointed after the promotion.
// Replication is reconciled continuously: every host that is up
// and not the active master must follow the active master with both
// threads running (Repoint, StartReplication), an ADMIN_OFFLINE host must
// not replicate (StopReplication); an unfinished repair is requested
// again every ReplicationRetry.
//
// # Weaknesses fixed, and where
//
//   - Replication is repaired, not only repointed:
//     reconcileReplication (actions.go). A host becomes ONLINE — by the
//     automatic rules, by REPLICATION_* → ONLINE on healthy replication,
//     by set_online from AWAITING_RECOVERY, or as a startup winner of a
//     reader VIP — only when replVerified: it follows the active master
//     and rep_threads and rep_backlog are OK. A host set_online from
//     ADMIN_OFFLINE (whose replication MMM stopped) gets no role until
//     its restarted replication is verified, and its replication checks
//     are not held against it for PeerGrace (rule online/restart-grace).
//     A repair refused for errant transactions (the Refusal input, which
//     the runtime commits with the refused action's outcome) makes
//     replVerified false at once, before any check sees the stopped
//     replication, and until a repair of that host succeeds.
//   - MMM's flap semantics are kept as they are (fixed window anchored
//     at the first failure, cleared only by set_online); the window and
//     the flag are part of the replicated state.
//   - A former writer never skips AWAITING_RECOVERY: rule
//     hard-offline/former-writer sends a host that failed as active
//     master (or lost the writer because its agent was unreachable) from
//     HARD_OFFLINE to AWAITING_RECOVERY, and the
//     short-downtime rule does not release it. A master that has applied
//     less never becomes writer while a more complete candidate exists:
//     findEligibleHost keeps only the mostComplete candidates (GTID
//     positions), even against prefer; CatchUp names the target every
//     known position covers and the hosts ahead of the new writer.
//   - PASSIVE has no side effects: the state machine observes, no
//     role is changed by it, no action is emitted, nobody is killed.
//     Leaving PASSIVE emits everything that changed and, for ACTIVE,
//     removes the roles of hosts that are not ONLINE.
//   - In MANUAL/WAIT a host that keeps its roles is never sent a
//     kill (hostCtx.fail).
//   - A host whose coordinator is unreachable (agent_down) receives
//     no role (MMM) and, in ACTIVE mode, loses its roles (dropUnreachable):
//     that coordinator closes its writer eligibility and drops its reader
//     VIPs by itself after the lease, so keeping them would leave them
//     unserved.
//   - Nothing crashes: Spec.Validate refuses what MMM died on; WAIT
//     mode with one master switches when it is ONLINE; move_role --force
//     of an orphaned writer does not look up an empty host name.
//   - A demotion closes the writer VIP first (CloseWriter), then
//     fences (super_read_only, kill).
//   - No failback to a lagging preferred host:
//     obeyPreferences moves the writer only to a preferred host that
//     follows the active master with healthy replication and has applied
//     everything the active master had (caughtUp).
//   - Promote names the previous writer, to stop replicating from it.
//   - The whole state persists; ties go to configuration order;
//     MySQL writable on two masters at startup is a conflict as well.
//   - move_role of a balanced role leaves the source host out of the
//     reassignment of its IPs (unless no other host can take them);
//     balancing still applies, so a host may get one IP back when loads
//     would otherwise differ by more than one.
//   - The active master's broken replication from its ONLINE peer
//     is reported once (MMM ignored it); set_online checks the host's own
//     replication (set_online --force skips that check). The active
//     master's own replication from its peer (the ring) is started again
//     whenever it is stopped or broken while its peer is back
//     (AWAITING_RECOVERY or ONLINE) with verified replication from it
//     (ringNeed): after a promotion stopped it, which MMM's IO thread
//     undid by reconnecting and set_online of the peer needs, and after a
//     fault broke it (error 1236 from a peer whose crash recovery
//     discarded its binlog's uncommitted tail), which MMM left broken.
//     Only a replication removed on purpose (RESET SLAVE ALL) is left.
//   - A master seen writable, or claiming the VIP, without holding the
//     writer role is closed and fenced at once.
//     Conversely, the ONLINE writer seen turning read-only while it keeps
//     the role (its own side fenced it: mmm-notify when keepalived left
//     MASTER because its coordinator restarted) gets Promote and
//     OpenWriter again (mayReenable, actions.go) — never during a
//     handover, never while another master is writable.
//
// # Fast failure detection
//
// MMM waits trap_period (10 s) for every failure; so do we for every
// remote, ambiguous observation (a probe from the leader can fail
// because of the network or load). Evidence is the exception: the
// host's own coordinator reports that mysqld is gone, and the mysql
// check fails at once.
//   - EvidenceSocketRefused: connect(2) on mysqld's local unix socket
//     returned ECONNREFUSED. A running mysqld always has a listener there:
//     when overloaded it accepts and answers error 1040, when hung the
//     kernel still queues the connection. Refused means no process
//     listens — no network path is involved.
//   - EvidenceProcessExited: the kernel reported the exit of the process
//     whose pid mysqld's pid file names. A live mysqld does not exit.
//
// Evidence observed before the newest OK mysql probe is stale (mysqld was
// restarted since) and ignored, so a late report cannot fail a healthy
// host; Evidence.Observed must be in the leader's clock.
//
// # Other deliberate differences from MMM 2.2.1
//
//   - Startup uses observations (writable, keepalived MASTER, VIPs on the
//     interface, who follows whom) instead of the status file and the
//     agents' memory; the initial checks do not log "is ok!".
//   - The kill hook (KillHost) runs only for a host that held roles.
//   - There is no network checker (ping_ips): a leader that lost its
//     quorum stops being leader.
//
// # Invariants
//
// TestRandomSequences checks after every step of 10,000 random sequences:
// the writer on at most one host, and in ACTIVE mode only on an ONLINE
// master with its agent up; outside PASSIVE no role IP orphaned while an
// eligible host exists, and in ACTIVE every role IP on exactly one ONLINE
// host with its agent up; in ACTIVE no role on a host that is not ONLINE;
// outside PASSIVE, MMM's load metric (role IPs on the host, the writer
// counting one half) within one between a balanced role's eligible hosts;
// serialise → restore → the same decisions; and, executing the actions in
// order, never two open writer eligibilities nor a reader VIP on two hosts.
package fsm
