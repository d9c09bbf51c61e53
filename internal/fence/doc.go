// Package fence demotes a MySQL or MariaDB server so that it accepts no
// more writes: read_only=1 (and super_read_only=1 where the flavour has
// it), then every client connection killed, then verified. It is the one
// fence of the suite: mmm-notify runs it on the local server when
// keepalived leaves MASTER (BACKUP, FAULT, STOP), and the coordinator's
// leader runs it over the network on a demoted writer.
//
// # Order and rules
//
//  1. read_only first. Once it is on, no client without READ_ONLY ADMIN
//     (SUPER on MySQL without super_read_only) can commit a write, so
//     nothing that happens later in the fence can add a transaction.
//     SET GLOBAL read_only waits for statements holding table locks and
//     for commits in progress; each attempt gets a short deadline
//     (Options.ReadOnlyAttempt). When one runs out or fails, Fence kills
//     the client connections (the blocker among them) and tries again,
//     until the caller's context ends.
//  2. Kill at once, no grace. MySQL-MMM spared connections running a write
//     on all but the last of its max_kill_retries rounds, one second
//     apart. We do not: with read_only on, such a statement cannot
//     commit any more, so a grace period only delays the fence and keeps
//     sessions of the old writer alive while the writer VIP is already
//     moving; our goal is no split brain, and a client whose statement is
//     killed retries against the new writer. Rounds remain only to
//     confirm the kill and to catch kills that failed and sessions that
//     outlived one: up to max_kill_retries+1 rounds, the confirming one at
//     once and the later ones paced by Options.Interval, all bounded by
//     the caller's context.
//  3. Verify. The fence is complete when read_only reads back on at the
//     end and no connection that existed when read_only took effect is
//     left. Connections opened after that (clients reconnecting through a
//     VIP that has not moved yet, readers) are killed in every round like
//     the others but do not fail the verification: they were bound by
//     read_only from their first statement.
//
// # Two fences on one server
//
// mmm-notify (keepalived leaving MASTER) and the coordinator's leader (a
// switchover, a failover) often fence the same server at the same
// moment, both as the agent account, and each kills the other's
// session. A statement whose connection is killed under it
// (dbctl.ConnectionLost) is retried at once on a new connection, up to
// MaxKillRetries+1 times per fence and within the caller's context: it
// is neither a failed kill nor a reason to pause. Counted as a failed
// kill, it made both fences fail after max_kill_retries rounds (about
// 1 s) and the coordinator retry its fence a second later. The other
// fence's sessions are not spared: they run as the agent account, which
// may write under read_only (READ_ONLY ADMIN), and nothing the server
// shows tells them from an application's session on the same account.
// Killing them costs the other fence a retry; its new sessions opened
// under read_only and do not fail the verification.
//
// Fence is idempotent: on a fenced server it sets nothing new, kills
// whoever is connected and verifies again. Errors read "fence: ..." and
// wrap the dbctl error; none carries a credential.
package fence
