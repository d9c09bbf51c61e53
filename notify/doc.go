// Package notify is what mmm-notify does when keepalived reports a
// transition of the writer's VRRP instance: the last-line fence of a
// master that keepalived no longer makes the writer, and a report to the
// local coordinator. It never opens writes: that is the coordinator's
// job (promotion), done before it makes the host eligible.
//
// # The decision (Decide)
//
// keepalived forks a notify script per transition and does not wait for
// it, so scripts may run concurrently and out of order (the fifo is
// ordered, the scripts are not). A notification therefore says what
// keepalived entered some time ago; before acting, Handle reads what is
// true now (Observation) and acts only when both agree:
//
//   - The writer VIP on the VRRP interface says whether keepalived is
//     MASTER now. keepalived adds the VIP before it runs the MASTER
//     notification and removes it before it runs BACKUP, FAULT and STOP
//     notifications, and it removes a VIP left over from a crash when it
//     starts (all measured with keepalived 2.2.7). A notification that
//     contradicts the VIP is stale: a newer one exists and acts (its own
//     check sees the state it reports, unless a still newer one follows),
//     so a stale one is ignored — neither fenced nor reported, so that it
//     never overwrites the coordinator's newer view.
//   - MASTER: report only.
//   - FAULT, STOP, DELETED: fence, then report. The instance holds no VIP
//     and this host must accept no writes.
//   - BACKUP: fence, unless the track file makes this host eligible. A
//     BACKUP with an eligible track file is keepalived on its way to
//     MASTER: when the coordinator promotes this host it opens writes
//     first and the track file second, and keepalived then passes FAULT →
//     BACKUP → MASTER (about three adverts later). Fencing there would
//     undo every promotion. Two hosts are never eligible at once (the
//     coordinator closes the old writer's track file first, and a
//     coordinator cut off from its leader closes its own within the
//     lease), so a BACKUP that lost the VIP to a peer — which must be
//     eligible to be MASTER — always finds its own file closed.
//   - Doubt fences: an unreadable interface or track file is read as "not
//     MASTER" and "not eligible".
//
// # The fence
//
// internal/fence.Fence on the local server (read_only=1, client
// connections killed, verified), with the agent account over the local
// socket, bounded by the caller's deadline. It does not need the
// coordinator. After the fence Handle looks at the VIP again: if
// keepalived became MASTER meanwhile, the host now holds the VIP
// read-only, which is safe, and the outcome says so (the coordinator
// reopens writes when it assigns the writer here).
//
// # The report
//
// Every transition Handle acts on is also reported to the local
// coordinator (POST /v1/vrrp on its API socket), concurrently with the
// fence and bounded by the same deadline. It is best effort: a
// coordinator that is down or slow never delays or fails the fence.
package notify
