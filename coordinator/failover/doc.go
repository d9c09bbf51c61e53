// Package failover runs the SQL steps of a writer failover that loses no
// acknowledged transaction, for the coordinator's executors of the state
// machine's actions (coordinator/fsm: CatchUp, Promote, Repoint,
// StartReplication) and for the rejoin of a recovered master:
//
//	Runner.CatchUp   the candidate applies its relay log and pulls what
//	                 any reachable host (a semisync replica) has beyond it
//	Runner.Promote   stop replicating from the old master without waiting
//	                 on a dead one, semisync master on, read_only=0
//	Runner.Repoint   GTID auto-position (never "the new master's current
//	                 position"), START SLAVE, verified with retries
//	Runner.Rejoin    read_only, errant-transaction check, repoint, verified
//	                 caught up
//	MostComplete     the candidate that lacks the least, and where the
//	                 rest is (pure)
//
// Fencing the old writer is internal/fence; opening its track_file is the
// coordinator's.
//
// Every step is idempotent, bounded by its context and the Options'
// timeouts, and returns a result whose Record lists what it did, in order
// and with durations, for the replicated history; the result is filled
// in also when the step fails. Errors read "failover: <step> <host>: ..."
// and wrap a sentinel (errors.go) and the dbctl error; none carries a
// password (dbctl withholds CHANGE MASTER's text). Nothing is logged here:
// the caller logs once.
//
// Positions are flavour-neutral (Position): MariaDB GTID positions and
// MySQL GTID sets. Errant-transaction detection on MariaDB also compares
// @@gtid_binlog_state, because a position cannot tell an unshipped
// transaction of the failed writer once the new writer has written more
// (see errant).
package failover
