package dbctl

// statements is the flavour- and version-specific vocabulary, chosen once
// per server by statementsFor: operations use these names and never edit
// statement strings by flavour themselves.
type statements struct {
	showReplicaStatus string
	showBinlogStatus  string
	changeSource      string // followed by the options
	startReplica      string // followed by an optional thread list
	stopReplica       string
	ioThread          string
	sqlThread         string
	opt               sourceOptions
	col               replicaColumns

	// waitGTID takes (set, seconds) and returns 0 when the set is applied
	// and waitGTIDTimedOut when the timeout passed.
	waitGTID           string
	waitGTIDTimedOut   int64
	waitGTIDFractional bool // the timeout may be fractional (else whole seconds)
	// waitPos takes (file, pos, whole seconds) and returns ≥ 0 when reached,
	// -1 on timeout, NULL when the SQL thread is not running.
	waitPos string

	superReadOnly     string // "" where the flavour has none
	logReplicaUpdates string
	semi              semisyncNames
}

// sourceOptions are the option keywords of changeSource.
type sourceOptions struct {
	host, port, user, password string
	connectRetry, heartbeat    string
	logFile, logPos            string
	gtidOn, gtidOff            string // complete clauses
}

// replicaColumns are the column names of showReplicaStatus.
type replicaColumns struct {
	ioRunning, sqlRunning, ioState, sqlState string
	secondsBehind                            string
	host, port, user, serverID               string
	logFile, readPos, relayLogFile, execPos  string
	autoPosition                             string // MariaDB Using_Gtid, MySQL Auto_Position
	retrievedGTID                            string
	executedGTID                             string // "" on MariaDB: read @@gtid_slave_pos instead
}

// semisyncNames are the semisync variables (lower case) and status
// variables (capitalised, as the server shows them).
type semisyncNames struct {
	masterEnabled, masterTimeout, replicaEnabled         string
	masterStatus, masterClients, masterNoTx, masterYesTx string
	masterNoTimes, replicaStatus                         string
}

var (
	legacyOptions = sourceOptions{
		host: "MASTER_HOST", port: "MASTER_PORT", user: "MASTER_USER", password: "MASTER_PASSWORD",
		connectRetry: "MASTER_CONNECT_RETRY", heartbeat: "MASTER_HEARTBEAT_PERIOD",
		logFile: "MASTER_LOG_FILE", logPos: "MASTER_LOG_POS",
		gtidOn: "MASTER_AUTO_POSITION=1", gtidOff: "MASTER_AUTO_POSITION=0",
	}
	sourceOpts = sourceOptions{
		host: "SOURCE_HOST", port: "SOURCE_PORT", user: "SOURCE_USER", password: "SOURCE_PASSWORD",
		connectRetry: "SOURCE_CONNECT_RETRY", heartbeat: "SOURCE_HEARTBEAT_PERIOD",
		logFile: "SOURCE_LOG_FILE", logPos: "SOURCE_LOG_POS",
		gtidOn: "SOURCE_AUTO_POSITION=1", gtidOff: "SOURCE_AUTO_POSITION=0",
	}
	slaveColumns = replicaColumns{
		ioRunning: "Slave_IO_Running", sqlRunning: "Slave_SQL_Running",
		ioState: "Slave_IO_State", sqlState: "Slave_SQL_Running_State",
		secondsBehind: "Seconds_Behind_Master",
		host:          "Master_Host", port: "Master_Port", user: "Master_User", serverID: "Master_Server_Id",
		logFile: "Master_Log_File", readPos: "Read_Master_Log_Pos",
		relayLogFile: "Relay_Master_Log_File", execPos: "Exec_Master_Log_Pos",
		autoPosition: "Auto_Position", retrievedGTID: "Retrieved_Gtid_Set", executedGTID: "Executed_Gtid_Set",
	}
	replicaCols = replicaColumns{
		ioRunning: "Replica_IO_Running", sqlRunning: "Replica_SQL_Running",
		ioState: "Replica_IO_State", sqlState: "Replica_SQL_Running_State",
		secondsBehind: "Seconds_Behind_Source",
		host:          "Source_Host", port: "Source_Port", user: "Source_User", serverID: "Source_Server_Id",
		logFile: "Source_Log_File", readPos: "Read_Source_Log_Pos",
		relayLogFile: "Relay_Source_Log_File", execPos: "Exec_Source_Log_Pos",
		autoPosition: "Auto_Position", retrievedGTID: "Retrieved_Gtid_Set", executedGTID: "Executed_Gtid_Set",
	}
	masterSemisync = semisyncNames{
		masterEnabled: "rpl_semi_sync_master_enabled", masterTimeout: "rpl_semi_sync_master_timeout",
		replicaEnabled: "rpl_semi_sync_slave_enabled",
		masterStatus:   "Rpl_semi_sync_master_status", masterClients: "Rpl_semi_sync_master_clients",
		masterNoTx: "Rpl_semi_sync_master_no_tx", masterYesTx: "Rpl_semi_sync_master_yes_tx",
		masterNoTimes: "Rpl_semi_sync_master_no_times", replicaStatus: "Rpl_semi_sync_slave_status",
	}
	sourceSemisync = semisyncNames{
		masterEnabled: "rpl_semi_sync_source_enabled", masterTimeout: "rpl_semi_sync_source_timeout",
		replicaEnabled: "rpl_semi_sync_replica_enabled",
		masterStatus:   "Rpl_semi_sync_source_status", masterClients: "Rpl_semi_sync_source_clients",
		masterNoTx: "Rpl_semi_sync_source_no_tx", masterYesTx: "Rpl_semi_sync_source_yes_tx",
		masterNoTimes: "Rpl_semi_sync_source_no_times", replicaStatus: "Rpl_semi_sync_replica_status",
	}
)

// statementsFor returns the vocabulary of a flavour and version.
//
// MariaDB (10.6 to 11.x) keeps the SLAVE/MASTER forms (it accepts some
// REPLICA aliases, but its columns stay Slave_*), has no super_read_only
// (read_only plus the READ_ONLY ADMIN privilege), built-in semisync named
// rpl_semi_sync_master_*/slave_*, MASTER_USE_GTID and MASTER_GTID_WAIT.
//
// MySQL moved to the new names step by step: SHOW REPLICA STATUS with
// Replica_*/Source_* columns and START/STOP REPLICA in 8.0.22, CHANGE
// REPLICATION SOURCE TO in 8.0.23, SOURCE_POS_WAIT, log_replica_updates
// and the rpl_semi_sync_source/replica plugins in 8.0.26 (a server that
// still loads the old semisync_master plugin keeps the old names; 8.4 has
// only the new ones), SHOW BINARY LOG STATUS in 8.2. 8.4 removed the old
// forms.
func statementsFor(f Flavor, v Version) statements {
	if f == MariaDB {
		col := slaveColumns
		col.autoPosition, col.retrievedGTID, col.executedGTID = "Using_Gtid", "Gtid_IO_Pos", ""
		opt := legacyOptions
		opt.gtidOn, opt.gtidOff = "MASTER_USE_GTID=slave_pos", "MASTER_USE_GTID=no"
		return statements{
			showReplicaStatus: "SHOW SLAVE STATUS", showBinlogStatus: "SHOW MASTER STATUS",
			changeSource: "CHANGE MASTER TO", startReplica: "START SLAVE", stopReplica: "STOP SLAVE",
			ioThread: "IO_THREAD", sqlThread: "SQL_THREAD",
			opt: opt, col: col,
			waitGTID: "SELECT MASTER_GTID_WAIT(?, ?)", waitGTIDTimedOut: -1, waitGTIDFractional: true,
			waitPos:           "SELECT MASTER_POS_WAIT(?, ?, ?)",
			logReplicaUpdates: "log_slave_updates",
			semi:              masterSemisync,
		}
	}
	st := statements{
		showReplicaStatus: "SHOW SLAVE STATUS", showBinlogStatus: "SHOW MASTER STATUS",
		changeSource: "CHANGE MASTER TO", startReplica: "START SLAVE", stopReplica: "STOP SLAVE",
		ioThread: "IO_THREAD", sqlThread: "SQL_THREAD",
		opt: legacyOptions, col: slaveColumns,
		waitGTID: "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)", waitGTIDTimedOut: 1,
		waitPos:           "SELECT MASTER_POS_WAIT(?, ?, ?)",
		superReadOnly:     "super_read_only",
		logReplicaUpdates: "log_slave_updates",
		semi:              masterSemisync,
	}
	if !v.AtLeast(5, 7, 8) {
		st.superReadOnly = ""
	}
	if v.AtLeast(8, 0, 22) {
		st.showReplicaStatus, st.startReplica, st.stopReplica = "SHOW REPLICA STATUS", "START REPLICA", "STOP REPLICA"
		st.col = replicaCols
	}
	if v.AtLeast(8, 0, 23) {
		st.changeSource, st.opt = "CHANGE REPLICATION SOURCE TO", sourceOpts
	}
	if v.AtLeast(8, 0, 26) {
		st.waitPos = "SELECT SOURCE_POS_WAIT(?, ?, ?)"
		st.logReplicaUpdates = "log_replica_updates"
		st.semi = sourceSemisync
	}
	if v.AtLeast(8, 2, 0) {
		st.showBinlogStatus = "SHOW BINARY LOG STATUS"
	}
	return st
}
