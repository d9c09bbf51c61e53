package dbctl

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// ThreadState is a replication thread's state as SHOW SLAVE STATUS shows
// it; the zero value is ThreadUnknown.
type ThreadState uint8

const (
	ThreadUnknown    ThreadState = iota
	ThreadStopped                // "No"
	ThreadRunning                // "Yes"
	ThreadConnecting             // "Connecting": IO thread retrying its source
	ThreadPreparing              // "Preparing": MariaDB, briefly while starting
)

func (t ThreadState) String() string {
	switch t {
	case ThreadStopped:
		return "No"
	case ThreadRunning:
		return "Yes"
	case ThreadConnecting:
		return "Connecting"
	case ThreadPreparing:
		return "Preparing"
	}
	return "Unknown"
}

// ParseThreadState reads Yes, No, Connecting or Preparing (any case).
func ParseThreadState(s string) (ThreadState, error) {
	for t := ThreadStopped; t <= ThreadPreparing; t++ {
		if strings.EqualFold(strings.TrimSpace(s), t.String()) {
			return t, nil
		}
	}
	return ThreadUnknown, fmt.Errorf("dbctl: %w: replication thread state %q", ErrInvalid, s)
}

// ReplicaStatus is the replica side of replication (the default
// connection on MariaDB, the default channel on MySQL).
type ReplicaStatus struct {
	IO, SQL  ThreadState
	IOState  string // Slave_IO_State, e.g. "Waiting for master to send event"
	SQLState string // Slave_SQL_Running_State
	// SecondsBehind is Seconds_Behind_Master; not Valid (NULL) while the
	// SQL thread or the IO thread is not running.
	SecondsBehind sql.NullInt64

	SourceHost     string
	SourcePort     int
	SourceUser     string
	SourceServerID uint32

	// File positions in the source's binary log: received up to
	// SourceLogFile:ReadSourceLogPos, applied up to
	// RelaySourceLogFile:ExecSourceLogPos (WaitForPosition takes the latter).
	SourceLogFile      string
	ReadSourceLogPos   uint64
	RelaySourceLogFile string
	ExecSourceLogPos   uint64

	// UsingGTID is MariaDB's Using_Gtid (No, Slave_Pos, Current_Pos) or
	// MySQL's Auto_Position (0, 1); AutoPosition tells whether either means
	// GTID positioning.
	UsingGTID    string
	AutoPosition bool
	// RetrievedGTID is what the IO thread received, ExecutedGTID what is
	// applied, as the server prints them: MariaDB Gtid_IO_Pos and
	// @@gtid_slave_pos (parse with gtid.ParseMariaDB), MySQL
	// Retrieved_Gtid_Set and Executed_Gtid_Set (gtid.ParseMySQL).
	RetrievedGTID string
	ExecutedGTID  string

	LastIOErrno  int
	LastIOError  string
	LastSQLErrno int
	LastSQLError string
}

// Running reports whether both threads run.
func (r *ReplicaStatus) Running() bool { return r.IO == ThreadRunning && r.SQL == ThreadRunning }

// Stopped reports whether both threads are stopped.
func (r *ReplicaStatus) Stopped() bool { return r.IO == ThreadStopped && r.SQL == ThreadStopped }

// ReplicaStatus reads SHOW SLAVE STATUS (SHOW REPLICA STATUS on MySQL
// 8.0.22+). It returns ErrNotReplica when no source is configured.
//
// Privilege: MariaDB 10.11 SLAVE MONITOR; MySQL REPLICATION CLIENT.
func (s *Server) ReplicaStatus(ctx context.Context) (*ReplicaStatus, error) {
	list, err := rows(ctx, s.db, s.st.showReplicaStatus)
	if err != nil {
		return nil, wrap("replica status", err)
	}
	if len(list) == 0 {
		return nil, wrap("replica status", ErrNotReplica)
	}
	row := list[0]
	for _, r := range list { // MySQL multi-source: one row per channel
		if ch, ok := r["Channel_Name"]; ok && ch.String == "" {
			row = r
			break
		}
	}
	rs := s.replicaFromRow(row)
	if s.st.col.executedGTID == "" { // MariaDB shows it only in SHOW ALL SLAVES STATUS
		v, err := s.globals(ctx, "gtid_slave_pos")
		if err != nil {
			return nil, wrap("replica status", err)
		}
		rs.ExecutedGTID = v[0].String
	}
	return rs, nil
}

func (s *Server) replicaFromRow(r map[string]sql.NullString) *ReplicaStatus {
	c := s.st.col
	str := func(col string) string { return r[col].String }
	num := func(col string) uint64 { n, _ := strconv.ParseUint(r[col].String, 10, 64); return n }
	io, _ := ParseThreadState(str(c.ioRunning))
	sqlT, _ := ParseThreadState(str(c.sqlRunning))
	rs := &ReplicaStatus{
		IO: io, SQL: sqlT, IOState: str(c.ioState), SQLState: str(c.sqlState),
		SourceHost: str(c.host), SourcePort: int(num(c.port)), SourceUser: str(c.user),
		SourceServerID: uint32(num(c.serverID)),
		SourceLogFile:  str(c.logFile), ReadSourceLogPos: num(c.readPos),
		RelaySourceLogFile: str(c.relayLogFile), ExecSourceLogPos: num(c.execPos),
		UsingGTID:     str(c.autoPosition),
		RetrievedGTID: str(c.retrievedGTID),
		LastIOErrno:   int(num("Last_IO_Errno")), LastIOError: str("Last_IO_Error"),
		LastSQLErrno: int(num("Last_SQL_Errno")), LastSQLError: str("Last_SQL_Error"),
	}
	if c.executedGTID != "" {
		rs.ExecutedGTID = str(c.executedGTID)
	}
	rs.AutoPosition = rs.UsingGTID != "" && rs.UsingGTID != "0" && !strings.EqualFold(rs.UsingGTID, "No")
	if v := r[c.secondsBehind]; v.Valid {
		if n, err := strconv.ParseInt(v.String, 10, 64); err == nil {
			rs.SecondsBehind = sql.NullInt64{Int64: n, Valid: true}
		}
	}
	// MySQL prints GTID sets with ",\n" between sources.
	rs.RetrievedGTID = strings.ReplaceAll(rs.RetrievedGTID, "\n", "")
	rs.ExecutedGTID = strings.ReplaceAll(rs.ExecutedGTID, "\n", "")
	return rs
}
