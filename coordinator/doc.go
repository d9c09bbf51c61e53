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
// # The SQL executors
//
// The leader's SQL executors (Options.ExecuteSQL, exec_sql.go) carry out
// the state machine's MySQL actions over the network with each host's
// agent account, through internal/fence and coordinator/failover.
//
//	fence              fence.Fence (read_only, kill, verify)
//	catch-up           failover.CatchUp (relay log, then pulls from hosts ahead)
//	promote            failover.Promote
//	repoint,           failover.Rejoin for a master (read_only=1, errant
//	start-replication    check, repoint, verified caught up), failover.Repoint
//	                     for a replica (errant check, GTID, verified running)
//	stop-replication   STOP SLAVE
//	kill-host          kill_host_bin (exec_kill.go)
//	reader-vips        nothing: each host's coordinator applies its share
//	                   of the committed assignment itself (readervips.go)
//
// Rules:
//   - Every action opens its connections afresh, bounded by the connect
//     timeout (the mysql check's timeout) and the action's deadline, and
//     closes them when it ends: no pool survives a failover.
//   - A host the committed state has in HARD_OFFLINE, or whose last ping
//     failed, is not dialled: a dial would at best be refused and at
//     worst (a dead host, a network down) wait the whole connect timeout
//     on the failover's critical path. It counts as unreachable. A host
//     whose coordinator is unreachable gets a short TCP connect
//     (unreachableDial).
//   - An old writer whose MySQL does not answer is fenced by its own side
//     (selffence.go): its coordinator fences it, or kills mysqld, and
//     says so in its reports. The leader waits for that confirmation
//     (the fence then succeeds with a warning naming how) and retries
//     while it lacks it; it does not assume it. Only a host whose
//     coordinator is cut off (silent for longer than the lease) is
//     skipped: it has closed its track file and fences itself, and the
//     writer's semisync timeout outlasts both. A replication repair of a
//     host the state has down is skipped too: the state machine asks
//     again when it is up, and retries would hold up the actions behind
//     it (the dispatcher runs them in order); one that just did not
//     answer is retried. Refusals that retrying can fix (too many
//     connections, access denied) are retried.
//   - CatchUp, Promote and the replication actions act only on a host the
//     state still gives that part (not the writer for replication, the
//     writer for a promotion); otherwise they fail permanently, which also
//     cancels the OpenWriter of a handover.
//   - Catch-up incomplete under catchup_policy refuse is permanent: the
//     promotion stops (its OpenWriter is cancelled), the writer stays
//     closed, the history and the log say what is missing where. Under
//     promote the catch-up succeeds with a warning naming the missing
//     GTIDs (ErrWarning). What only the old writer had when last seen is
//     also recorded as a warning.
//   - Errant transactions refuse a rejoin or repoint permanently, and the
//     host's replication is stopped: the state machine makes a host ONLINE
//     only when its replication is verified (it follows the active master
//     with rep_threads and rep_backlog OK, fsm replVerified), so a stopped
//     replica stays in AWAITING_RECOVERY or REPLICATION_FAIL, and
//     set_online is refused, until an operator repairs it. The action is
//     requested again every ReplicationRetry and refused again, each time
//     in the history with the GTIDs. The state machine learns of it through
//     the rep_threads check, so only after trap_period: in that window a
//     set_online (or an automatic ONLINE rule) still sees the replication
//     as verified.
//   - The ring: a returning peer of the writer (fsm ringNeed) is rejoined
//     first, then the writer's own replication from it, which Promote
//     stopped, is started again (closeRing).
//
// # Reader VIPs
//
// Every coordinator (readervips.go) applies its own host's share of the
// committed reader roles on its vip_interface (internal/vip: probe, add,
// gratuitous ARP; remove), so no leader round trip and no remote agent
// sits between the decision and the address. The leader's reader-vips
// executor does nothing: the committed state is the order.
//
//   - Wanted: the reader IPs the committed state last told this host
//     (HostStatus.Applied.Readers; in PASSIVE mode that stays as it was,
//     so PASSIVE changes nothing). Before the state machine told this host
//     anything, the interface is left alone.
//   - Managed: every IP of every role but the writer role. The writer VIP
//     is keepalived's and never touched.
//   - Lease: without contact to a raft leader for longer than the lease,
//     and on shutdown, every managed IP is removed. The leader takes the
//     roles of a host whose coordinator it has not heard from for that
//     long, so a cut-off host never keeps an IP another host is
//     given.
//   - No duplicates: every add is preceded by a duplicate probe (RFC
//     5227); an IP another host answers for is not added, logged and
//     reported (the node's API warnings, and its next report to the
//     leader lists what it really holds), and tried again with a backoff
//     from 250 ms to 5 s. That also orders a move between two live hosts:
//     the state machine removes before it adds, but both hosts apply the
//     same entry at once, and the new holder's probe waits for the old
//     holder's removal.
//   - Re-checks: every recheck period the assignment is applied again (an
//     address deleted by hand comes back) and every held IP is probed (an
//     IP another host took is reported).
//   - Announce again garp_master_delay after an add, as keepalived does:
//     clients that apply the neighbour locktime to gratuitous ARP too
//     (see internal/vip) may have ignored the first rounds.
//
// Coordinator implements api.Backend for the HTTP API.
package coordinator
