package dbctl

import (
	"testing"
	"time"
)

// TestStatementTables pins the vocabulary per flavour and version: the
// MySQL rows cannot be checked against a server here.
func TestStatementTables(t *testing.T) {
	type row struct {
		showReplica, showBinlog, change, start, stop string
		hostOpt, gtidOn, waitGTID, waitPos           string
		superRO, logRU, semiMaster, semiReplica      string
		ioCol, behindCol, execPosCol, autoPosCol     string
	}
	legacy := row{
		showReplica: "SHOW SLAVE STATUS", showBinlog: "SHOW MASTER STATUS", change: "CHANGE MASTER TO",
		start: "START SLAVE", stop: "STOP SLAVE", hostOpt: "MASTER_HOST", gtidOn: "MASTER_AUTO_POSITION=1",
		waitGTID: "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)", waitPos: "SELECT MASTER_POS_WAIT(?, ?, ?)",
		superRO: "super_read_only", logRU: "log_slave_updates",
		semiMaster: "rpl_semi_sync_master_enabled", semiReplica: "rpl_semi_sync_slave_enabled",
		ioCol: "Slave_IO_Running", behindCol: "Seconds_Behind_Master", execPosCol: "Exec_Master_Log_Pos", autoPosCol: "Auto_Position",
	}
	my8022 := legacy
	my8022.showReplica, my8022.start, my8022.stop = "SHOW REPLICA STATUS", "START REPLICA", "STOP REPLICA"
	my8022.ioCol, my8022.behindCol, my8022.execPosCol = "Replica_IO_Running", "Seconds_Behind_Source", "Exec_Source_Log_Pos"
	my8023 := my8022
	my8023.change, my8023.hostOpt, my8023.gtidOn = "CHANGE REPLICATION SOURCE TO", "SOURCE_HOST", "SOURCE_AUTO_POSITION=1"
	my8026 := my8023
	my8026.waitPos, my8026.logRU = "SELECT SOURCE_POS_WAIT(?, ?, ?)", "log_replica_updates"
	my8026.semiMaster, my8026.semiReplica = "rpl_semi_sync_source_enabled", "rpl_semi_sync_replica_enabled"
	my84 := my8026
	my84.showBinlog = "SHOW BINARY LOG STATUS"
	my570 := legacy
	my570.superRO = ""
	maria := row{
		showReplica: "SHOW SLAVE STATUS", showBinlog: "SHOW MASTER STATUS", change: "CHANGE MASTER TO",
		start: "START SLAVE", stop: "STOP SLAVE", hostOpt: "MASTER_HOST", gtidOn: "MASTER_USE_GTID=slave_pos",
		waitGTID: "SELECT MASTER_GTID_WAIT(?, ?)", waitPos: "SELECT MASTER_POS_WAIT(?, ?, ?)",
		superRO: "", logRU: "log_slave_updates",
		semiMaster: "rpl_semi_sync_master_enabled", semiReplica: "rpl_semi_sync_slave_enabled",
		ioCol: "Slave_IO_Running", behindCol: "Seconds_Behind_Master", execPosCol: "Exec_Master_Log_Pos", autoPosCol: "Using_Gtid",
	}
	tests := []struct {
		f    Flavor
		v    Version
		want row
	}{
		{MySQL, Version{5, 7, 6}, my570},
		{MySQL, Version{5, 7, 44}, legacy},
		{MySQL, Version{8, 0, 21}, legacy},
		{MySQL, Version{8, 0, 22}, my8022},
		{MySQL, Version{8, 0, 23}, my8023},
		{MySQL, Version{8, 0, 26}, my8026},
		{MySQL, Version{8, 0, 40}, my8026},
		{MySQL, Version{8, 4, 0}, my84},
		{MySQL, Version{9, 1, 0}, my84},
		{MariaDB, Version{10, 6, 0}, maria},
		{MariaDB, Version{10, 11, 19}, maria},
		{MariaDB, Version{11, 4, 2}, maria},
	}
	for _, tt := range tests {
		st := statementsFor(tt.f, tt.v)
		got := row{
			showReplica: st.showReplicaStatus, showBinlog: st.showBinlogStatus, change: st.changeSource,
			start: st.startReplica, stop: st.stopReplica, hostOpt: st.opt.host, gtidOn: st.opt.gtidOn,
			waitGTID: st.waitGTID, waitPos: st.waitPos, superRO: st.superReadOnly, logRU: st.logReplicaUpdates,
			semiMaster: st.semi.masterEnabled, semiReplica: st.semi.replicaEnabled,
			ioCol: st.col.ioRunning, behindCol: st.col.secondsBehind, execPosCol: st.col.execPos, autoPosCol: st.col.autoPosition,
		}
		if got != tt.want {
			t.Errorf("%s %s:\n got %+v\nwant %+v", tt.f, tt.v, got, tt.want)
		}
	}
}

func TestChangeSourceSQL(t *testing.T) {
	gtidSrc := Source{Host: "198.18.0.11", Port: 3306, User: "repl", Password: "p'w\\d",
		ConnectRetry: 1500 * time.Millisecond, HeartbeatPeriod: 500 * time.Millisecond, AutoPosition: true}
	fileSrc := Source{Host: "db1", Port: 3307, User: "repl", Password: "pw", LogFile: "db1-bin.000003", LogPos: 1234}
	tests := []struct {
		f    Flavor
		v    Version
		src  Source
		bs   bool
		want string
	}{
		{MariaDB, Version{10, 11, 19}, gtidSrc, true,
			`CHANGE MASTER TO MASTER_HOST='198.18.0.11', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='p\'w\\d', MASTER_CONNECT_RETRY=2, MASTER_HEARTBEAT_PERIOD=0.500, MASTER_USE_GTID=slave_pos`},
		{MariaDB, Version{10, 11, 19}, gtidSrc, false,
			`CHANGE MASTER TO MASTER_HOST='198.18.0.11', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='p''w\d', MASTER_CONNECT_RETRY=2, MASTER_HEARTBEAT_PERIOD=0.500, MASTER_USE_GTID=slave_pos`},
		{MariaDB, Version{10, 11, 19}, fileSrc, true,
			`CHANGE MASTER TO MASTER_HOST='db1', MASTER_PORT=3307, MASTER_USER='repl', MASTER_PASSWORD='pw', MASTER_USE_GTID=no, MASTER_LOG_FILE='db1-bin.000003', MASTER_LOG_POS=1234`},
		{MySQL, Version{5, 7, 44}, gtidSrc, true,
			`CHANGE MASTER TO MASTER_HOST='198.18.0.11', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='p\'w\\d', MASTER_CONNECT_RETRY=2, MASTER_HEARTBEAT_PERIOD=0.500, MASTER_AUTO_POSITION=1`},
		{MySQL, Version{8, 0, 36}, fileSrc, true,
			`CHANGE REPLICATION SOURCE TO SOURCE_HOST='db1', SOURCE_PORT=3307, SOURCE_USER='repl', SOURCE_PASSWORD='pw', SOURCE_AUTO_POSITION=0, SOURCE_LOG_FILE='db1-bin.000003', SOURCE_LOG_POS=1234`},
		{MySQL, Version{8, 4, 0}, gtidSrc, true,
			`CHANGE REPLICATION SOURCE TO SOURCE_HOST='198.18.0.11', SOURCE_PORT=3306, SOURCE_USER='repl', SOURCE_PASSWORD='p\'w\\d', SOURCE_CONNECT_RETRY=2, SOURCE_HEARTBEAT_PERIOD=0.500, SOURCE_AUTO_POSITION=1`},
	}
	for _, tt := range tests {
		st := statementsFor(tt.f, tt.v)
		if got := st.changeSourceSQL(tt.src, tt.bs); got != tt.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tt.f, tt.v, got, tt.want)
		}
	}
}

func TestThreadsSQL(t *testing.T) {
	tests := []struct {
		v    Version
		t    Threads
		want string
	}{
		{Version{8, 0, 21}, IOThread, "STOP SLAVE IO_THREAD"},
		{Version{8, 4, 0}, SQLThread, "STOP REPLICA SQL_THREAD"},
		{Version{8, 4, 0}, BothThreads, "STOP REPLICA"},
	}
	for _, tt := range tests {
		st := statementsFor(MySQL, tt.v)
		if got, err := st.threadsSQL(st.stopReplica, tt.t); err != nil || got != tt.want {
			t.Errorf("%s %s = %q, %v; want %q", tt.v, tt.t, got, err, tt.want)
		}
	}
	st := statementsFor(MariaDB, Version{10, 11, 0})
	if _, err := st.threadsSQL(st.startReplica, 0); err == nil {
		t.Error("zero Threads accepted")
	}
}

func TestSourceValidate(t *testing.T) {
	ok := Source{Host: "h", Port: 3306, User: "u", AutoPosition: true}
	tests := []struct {
		name   string
		edit   func(*Source)
		wantOK bool
	}{
		{"gtid", func(*Source) {}, true},
		{"file", func(s *Source) { s.AutoPosition, s.LogFile, s.LogPos = false, "f.000001", 4 }, true},
		{"no host", func(s *Source) { s.Host = "" }, false},
		{"no user", func(s *Source) { s.User = "" }, false},
		{"port 0", func(s *Source) { s.Port = 0 }, false},
		{"port 65536", func(s *Source) { s.Port = 65536 }, false},
		{"both modes", func(s *Source) { s.LogFile, s.LogPos = "f", 4 }, false},
		{"no mode", func(s *Source) { s.AutoPosition = false }, false},
		{"file without pos", func(s *Source) { s.AutoPosition, s.LogFile = false, "f" }, false},
		{"retry below 1s", func(s *Source) { s.ConnectRetry = 500 * time.Millisecond }, false},
		{"heartbeat below 1ms", func(s *Source) { s.HeartbeatPeriod = time.Microsecond }, false},
		{"negative heartbeat", func(s *Source) { s.HeartbeatPeriod = -time.Second }, false},
	}
	for _, tt := range tests {
		src := ok
		tt.edit(&src)
		if err := src.validate(); (err == nil) != tt.wantOK {
			t.Errorf("%s: validate() = %v", tt.name, err)
		}
	}
	if s := (Source{Host: "h", Port: 1, User: "u", Password: "secret", AutoPosition: true}).String(); s != "u@h:1 (gtid)" {
		t.Errorf("String() = %q", s)
	}
}
