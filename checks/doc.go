// Package checks holds MySQL-MMM's four health checks (ping, mysql,
// rep_threads, rep_backlog) and two of ours for the coordinator (semisync,
// read_only), one per file behind the tiny Check interface.
//
// Each check keeps MMM 2.2.1's semantics and messages: a Result is OK,
// FAILED (MMM's "ERROR") or UNKNOWN, and its String is MMM's wire text
// ("OK: Backlog is null", "ERROR: Replication is broken"). Two of MMM's
// blind spots are fixed: an IO thread Connecting for longer than
// max_connecting fails rep_threads, and a NULL Seconds_Behind_Master while
// a replication thread is stopped fails rep_backlog.
//
// Every check has its own deadline, the sooner of its configured timeout
// and the caller's context, and never blocks past it: the probe gets a
// slightly earlier deadline so that it can say where it timed out, and a
// probe that ignores it is abandoned at the deadline ("ERROR: Timeout").
//
// I/O sits behind one-method interfaces declared next to the check that
// uses them (Pinger, NowQuerier, ReplicaStatusReader, SemisyncReader,
// ReadOnlyReader); Server implements the MySQL ones over go-sql-driver with
// a fresh connection per call, ICMP and TCPConnect implement Pinger. New
// builds a check from the cluster configuration.
package checks
