// Package dbctl drives one MySQL or MariaDB server for the HA suite: the
// write fence (read_only), killing clients, replica status, changing the
// replication source, starting and stopping replication, waiting for a
// GTID set or a binlog position, binlog and GTID state, semisync.
//
// It detects the flavour and version once (Open, New) and picks one table
// of statements and variable names for it (statements.go): MariaDB 10.6 to
// 11.x, MySQL 5.7, 8.0 and 8.4. Nothing else branches on statement text.
//
// Every operation takes a context. Statements that can block on the server
// (SET GLOBAL read_only, STOP SLAVE, the waits) run on a connection of
// their own and are killed on the server (KILL QUERY) when the context
// ends first, because closing the socket alone leaves them running there.
// A STOP SLAVE ignores the kill and completes when its threads end; see
// StopReplication.
//
// Errors read "dbctl: <operation>: ..." and wrap a sentinel (errors.go)
// chosen by the server's error number; the *mysql.MySQLError stays
// reachable with errors.As. No error carries a password: ChangeSource
// withholds the server's message, which can quote the statement.
//
// # Privileges
//
// What each operation needs. On MariaDB 10.11 SUPER is not enough for
// read_only; the test suite checks this column with a
// least-privilege account per operation.
//
//	operation                    MariaDB 10.11                     MySQL 8 (5.7)
//	Open, New, Ping              -                                 -
//	ReadOnly                     -                                 -
//	SetReadOnly                  READ_ONLY ADMIN                   SYSTEM_VARIABLES_ADMIN (SUPER)
//	KillClients                  PROCESS, CONNECTION ADMIN         PROCESS, CONNECTION_ADMIN (SUPER)
//	ReplicaStatus                SLAVE MONITOR                     REPLICATION CLIENT
//	ChangeSource                 REPLICATION SLAVE ADMIN,          REPLICATION_SLAVE_ADMIN,
//	                             SLAVE MONITOR                     REPLICATION CLIENT (SUPER)
//	StartReplication,            REPLICATION SLAVE ADMIN           REPLICATION_SLAVE_ADMIN (SUPER)
//	StopReplication
//	WaitForGTID, WaitForPosition -                                 -
//	BinlogStatus                 BINLOG MONITOR                    REPLICATION CLIENT
//	GTIDState, BinlogSettings,   -                                 -
//	ServerID, Uptime
//	Semisync                     -                                 -
//	SetSemisyncMaster            REPLICATION MASTER ADMIN          SYSTEM_VARIABLES_ADMIN (SUPER)
//	SetSemisyncReplica           REPLICATION SLAVE ADMIN           SYSTEM_VARIABLES_ADMIN (SUPER)
//
// An account with READ_ONLY ADMIN (MariaDB) or SUPER/CONNECTION_ADMIN
// (MySQL without super_read_only) writes through read_only: the
// application's account must not have it.
package dbctl
