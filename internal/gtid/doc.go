// Package gtid does arithmetic on replication positions, without I/O:
// MariaDB GTID positions ("0-1-100,1-2-5") and MySQL GTID sets
// ("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,...").
//
// The two flavours mean different things and get different types:
//
//   - A MariaDB position (MariaDBPos) holds at most one GTID
//     domain-server-seq per replication domain: the last transaction applied
//     (or binlogged) in that domain. It is a frontier, not a set. Positions
//     compare per domain by sequence number: with gtid_strict_mode a
//     server's binlog has strictly increasing seq_no within a domain, so a
//     higher seq_no implies every lower one of the same domain. The server
//     id does not take part in the ordering, but the same seq_no with a
//     different server id in the same domain means the histories diverged
//     (two writers), and is treated as "not contained" both ways.
//   - A MySQL GTID set (MySQLSet) is an exact set of transactions: per
//     source UUID (and, from MySQL 8.3, per UUID and tag) a list of
//     transaction-number intervals. Containment and difference are exact.
//
// Both types are immutable values: every operation returns a new value,
// the zero value is the empty position or set, and String is canonical
// (sorted, merged), so equal values print equally.
package gtid

import "errors"

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("gtid: syntax error")
