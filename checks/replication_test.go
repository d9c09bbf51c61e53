package checks

import (
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

const (
	yes        = dbctl.ThreadRunning
	no         = dbctl.ThreadStopped
	connecting = dbctl.ThreadConnecting
	preparing  = dbctl.ThreadPreparing
	unknown    = dbctl.ThreadUnknown
)

// replicaErrors are the error cases rep_threads and rep_backlog share.
var replicaErrors = []want{
	{"connect error is unknown", &fake{err: errRefusedConnect}, StatusUnknown,
		"Connect error (host = /run/mysqld/mysqld.sock, user = mmm_monitor)! dial unix /run/mysqld/mysqld.sock: connect: connection refused"},
	{"too many connections is unknown", &fake{err: errTooMany}, StatusUnknown, "Connect error (host = /run/mysqld/mysqld.sock, user = mmm_monitor)! too many connections: ..."},
	{"login denied is unknown", &fake{err: errDeniedLogin}, StatusUnknown, "Connect error (host = 198.18.0.11:3306, user = mmm_monitor)! access denied: ..."},
	{"missing privilege", &fake{err: errDeniedQuery}, StatusFailed,
		"The monitor user 'mmm_monitor' doesn't have the required REPLICATION CLIENT privilege (SLAVE MONITOR on MariaDB 10.5+)! " +
			"Error 1227 (42000): Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation"},
	{"missing privilege, no server error", &fake{err: dbctl.ErrAccessDenied}, StatusFailed,
		"The monitor user 'mmm_monitor' doesn't have the required REPLICATION CLIENT privilege (SLAVE MONITOR on MariaDB 10.5+)! access denied"},
	{"not a replica", &fake{err: errNotReplica}, StatusFailed, "Replication is not set up"},
	{"timeout", &fake{err: errDeadline}, StatusFailed, "Timeout"},
	{"execute error", &fake{err: errQuery}, StatusUnknown, "Unknown state. Execute error: Error 1146 (42S02): Table 'x' doesn't exist"},
	{"cancelled", &fake{err: errCanceled}, StatusUnknown, "Error occurred: check cancelled"},
}

func TestRepThreads(t *testing.T) {
	cases := append([]want{
		{"running", &fake{replica: replica(yes, yes)}, StatusOK, ""},
		{"io stopped", &fake{replica: replica(no, yes)}, StatusFailed, "Replication is broken"},
		{"sql stopped", &fake{replica: replica(yes, no)}, StatusFailed, "Replication is broken"},
		{"both stopped", &fake{replica: replica(no, no)}, StatusFailed, "Replication is broken"},
		{"stopped beats unknown", &fake{replica: replica(unknown, no)}, StatusFailed, "Replication is broken"},
		{"unknown state", &fake{replica: replica(yes, unknown)}, StatusUnknown, "Unknown state. Slave_IO_Running: Yes, Slave_SQL_Running: Unknown"},
		{"connecting counts as running", &fake{replica: replica(connecting, yes)}, StatusOK, "IO thread Connecting for 0s"},
		{"preparing counts as running", &fake{replica: replica(preparing, yes)}, StatusOK, "IO thread Preparing for 0s"},
	}, replicaErrors...)
	runTable(t, func(f *fake) Check {
		return RepThreads{Server: f, Timeout: time.Second, User: "mmm_monitor", MaxConnecting: 10 * time.Second}
	}, cases)
}

func TestRepThreadsMaxConnecting(t *testing.T) {
	clk := newClock()
	f := &fake{}
	c := RepThreads{Server: f, Timeout: time.Second, User: "mmm_monitor", MaxConnecting: 10 * time.Second,
		Connecting: new(ConnectingSince), Now: clk.Now}
	down := replica(connecting, yes)
	down.LastIOErrno, down.LastIOError = 2003, "error reconnecting to master 'repl@198.18.0.11:3306' - retry-time: 1"
	steps := []struct {
		advance time.Duration
		st      *dbctl.ReplicaStatus
		status  Status
		msg     string
	}{
		{0, down, StatusOK, "IO thread Connecting for 0s"},
		{6 * time.Second, down, StatusOK, "IO thread Connecting for 6s"},
		{4 * time.Second, down, StatusOK, "IO thread Connecting for 10s"}, // not longer than the bound
		{time.Second, down, StatusFailed, "Replication is broken: the IO thread has been Connecting for 11s (max_connecting 10s): " +
			"Last_IO_Error 2003: error reconnecting to master 'repl@198.18.0.11:3306' - retry-time: 1"},
		{time.Second, replica(yes, yes), StatusOK, ""}, // connected: forget
		{time.Second, replica(preparing, yes), StatusOK, "IO thread Preparing for 0s"},
		{30 * time.Second, replica(connecting, yes), StatusFailed, "Replication is broken: the IO thread has been Connecting for 30s (max_connecting 10s)"},
		{time.Second, replica(no, yes), StatusFailed, "Replication is broken"}, // stopped: forget
		{time.Second, replica(connecting, yes), StatusOK, "IO thread Connecting for 0s"},
		{time.Minute, &dbctl.ReplicaStatus{}, StatusUnknown, "Unknown state. ..."}, // keeps the memory
		{0, replica(connecting, yes), StatusFailed, "Replication is broken: the IO thread has been Connecting for 1m0s (max_connecting 10s)"},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		f.replica = s.st
		r := c.Run(t.Context())
		checkResult(t, r, s.status, s.msg)
		if t.Failed() {
			t.Fatalf("step %d", i)
		}
	}
}

func TestRepThreadsConnectingWithoutBoundOrMemory(t *testing.T) {
	clk := newClock()
	for _, c := range []RepThreads{
		{MaxConnecting: 0, Connecting: new(ConnectingSince), Now: clk.Now}, // bound off: MMM
		{MaxConnecting: time.Second},                                       // no memory: one-shot
	} {
		c.Server = &fake{replica: replica(connecting, yes)}
		for range 3 {
			clk.Advance(time.Hour)
			if r := c.Run(t.Context()); r.Status != StatusOK {
				t.Errorf("%+v: %v, want OK", c, r)
			}
		}
	}
}

func TestRepBacklog(t *testing.T) {
	cases := append([]want{
		{"no lag", &fake{replica: replica(yes, yes, 0)}, StatusOK, "Backlog is null"},
		{"null while connecting", &fake{replica: replica(connecting, yes)}, StatusOK, "Backlog is null"},
		{"null while io stopped", &fake{replica: replica(no, yes)}, StatusFailed,
			"Backlog is unknown: replication is stopped (Slave_IO_Running: No, Slave_SQL_Running: Yes)"},
		{"null while sql stopped", &fake{replica: replica(yes, no)}, StatusFailed,
			"Backlog is unknown: replication is stopped (Slave_IO_Running: Yes, Slave_SQL_Running: No)"},
		{"lag with io stopped still counts", &fake{replica: replica(no, yes, 5)}, StatusOK, ""},
		{"some lag", &fake{replica: replica(yes, yes, 59)}, StatusOK, ""},
		{"at the limit", &fake{replica: replica(yes, yes, 60)}, StatusOK, ""},
		{"too big", &fake{replica: replica(yes, yes, 61)}, StatusFailed, "Backlog is too big"},
	}, replicaErrors...)
	runTable(t, func(f *fake) Check {
		return RepBacklog{Server: f, Timeout: time.Second, User: "mmm_monitor", MaxBacklog: 60 * time.Second}
	}, cases)
}
