package failover

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

func TestPromote(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(db1, db2 *fakeDB)
		wantErr   error
		calls     []string // db2's changing calls
		pending   bool
		writable  bool
		semisync  bool
		sqlStatus dbctl.ThreadState // db2's SQL thread at the end
	}{
		{name: "switchover: caught up, old writer alive",
			setup: func(db1, db2 *fakeDB) {},
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO",
				"SetSemisyncMaster true", "SetReadOnly false", "SetSemisyncReplica false"},
			writable: true, semisync: true, sqlStatus: dbctl.ThreadStopped},
		{name: "dead old writer: STOP SLAVE IO_THREAD would hang, the IO thread is killed",
			setup: func(db1, db2 *fakeDB) {
				db1.up = false
				db2.ioConnecting, db2.stopIOBlocks = true, true
			},
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO",
				"SetSemisyncMaster true", "SetReadOnly false", "SetSemisyncReplica false"},
			writable: true, semisync: true, sqlStatus: dbctl.ThreadStopped},
		{name: "dead old writer, the killed IO thread outlives StopIOTimeout: writes open anyway",
			setup: func(db1, db2 *fakeDB) {
				db1.up = false
				db2.ioConnecting, db2.killIOLate = true, true
			},
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO",
				"SetSemisyncMaster true", "SetReadOnly false", "SetSemisyncReplica false"},
			pending: true, writable: true, semisync: true, sqlStatus: dbctl.ThreadStopped},
		{name: "MySQL, dead old writer: STOP SLAVE IO_THREAD hangs, writes open anyway",
			setup: func(db1, db2 *fakeDB) {
				db1.up = false
				db2.flavor = dbctl.MySQL
				db2.ioConnecting, db2.stopIOBlocks = true, true
			},
			calls: []string{"StopReplication SQL_THREAD", "StopReplication IO_THREAD",
				"SetSemisyncMaster true", "SetReadOnly false", "SetSemisyncReplica false"},
			pending: true, writable: true, semisync: true, sqlStatus: dbctl.ThreadStopped},
		{name: "received but not applied, SQL thread stopped: applied first",
			setup: func(db1, db2 *fakeDB) {
				db1.write(1, 101)
				db2.sql = dbctl.ThreadStopped
				db2.w.mu.Lock()
				db2.replicate()
				db2.w.mu.Unlock()
				db1.up = false
			},
			calls: []string{"StartReplication SQL_THREAD", "StopReplication SQL_THREAD", "KillReplicaIO",
				"SetSemisyncMaster true", "SetReadOnly false", "SetSemisyncReplica false"},
			writable: true, semisync: true, sqlStatus: dbctl.ThreadStopped},
		{name: "received but the SQL thread fails: writes stay closed",
			setup: func(db1, db2 *fakeDB) {
				db1.write(1, 101)
				db2.sqlBroken = true
				db2.w.mu.Lock()
				db2.replicate()
				db2.w.mu.Unlock()
				db1.up = false
			},
			wantErr: ErrNotCaughtUp, calls: []string{}, sqlStatus: dbctl.ThreadStopped},
		{name: "no log_slave_updates: refused before anything",
			setup:   func(db1, db2 *fakeDB) { db2.noLogUpdates = true },
			wantErr: ErrNotFailoverTarget, calls: []string{}, sqlStatus: dbctl.ThreadRunning},
		{name: "not a replica",
			setup: func(db1, db2 *fakeDB) {
				db2.replica, db2.io, db2.sql = false, dbctl.ThreadStopped, dbctl.ThreadStopped
			},
			calls:    []string{"SetSemisyncMaster true", "SetReadOnly false", "SetSemisyncReplica false"},
			writable: true, semisync: true, sqlStatus: dbctl.ThreadStopped},
		{name: "already promoted: idempotent",
			setup: func(db1, db2 *fakeDB) {
				db2.io, db2.sql, db2.readOnly, db2.semiM, db2.semiR = dbctl.ThreadStopped, dbctl.ThreadStopped, false, true, false
			},
			calls:    []string{"SetSemisyncMaster true", "SetReadOnly false", "SetSemisyncReplica false"},
			writable: true, semisync: true, sqlStatus: dbctl.ThreadStopped},
		{name: "no semisync on the server",
			setup: func(db1, db2 *fakeDB) { db2.noSemisync = true },
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO",
				"SetSemisyncMaster true", "SetReadOnly false"},
			writable: true, sqlStatus: dbctl.ThreadStopped},
		{name: "read_only refused",
			setup:    func(db1, db2 *fakeDB) { db2.errs["SetReadOnly"] = errBoom },
			wantErr:  errBoom,
			calls:    []string{"StopReplication SQL_THREAD", "KillReplicaIO", "SetSemisyncMaster true", "SetReadOnly false"},
			semisync: true, sqlStatus: dbctl.ThreadStopped},
		{name: "unreachable",
			setup:   func(db1, db2 *fakeDB) { db2.up = false },
			wantErr: errBoom, calls: []string{}, sqlStatus: dbctl.ThreadRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, db1, db2, _ := topology()
			tt.setup(db1, db2)
			w.calls = nil
			n := db2.node()
			if tt.name == "unreachable" {
				n.DB, tt.wantErr = nil, ErrUnreachable
			}
			res, err := w.runner(nil).Promote(w.ctxUntil(time.Minute), n)
			t.Log(res)
			checkErr(t, err, tt.wantErr)
			if got := w.callsOf("db2"); !slices.Equal(got, tt.calls) {
				t.Errorf("db2 calls:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.calls, "\n  "))
			}
			if res.IOStopPending != tt.pending || !db2.readOnly != tt.writable || res.Semisync != tt.semisync {
				t.Errorf("pending %v writable %v semisync %v", res.IOStopPending, !db2.readOnly, res.Semisync)
			}
			if tt.writable && (db2.sql != dbctl.ThreadStopped || !db2.slave.Contains(db2.recv)) {
				t.Errorf("writes open with SQL %v, applied %s, received %s", db2.sql, db2.slave, db2.recv)
			}
			if db2.sql != tt.sqlStatus {
				t.Errorf("SQL thread %v, want %v", db2.sql, tt.sqlStatus)
			}
		})
	}
}

// TestPromoteReceivesMoreWhileStopping: the IO thread (old writer alive)
// brings a transaction between the wait and STOP SLAVE SQL_THREAD; it is
// applied in a second round before writes open.
func TestPromoteReceivesMoreWhileStopping(t *testing.T) {
	w, db1, db2, _ := topology()
	db1.write(1, 101)
	db2.stallApply = 1
	db2.receivedExtra = mp("0-1-101")
	res, err := w.runner(nil).Promote(w.ctxUntil(time.Minute), db2.node())
	if err != nil {
		t.Fatal(err)
	}
	if !db2.slave.Contains(mp("0-1-101")) || db2.readOnly {
		t.Errorf("applied %s, read_only %v\n%s", db2.slave, db2.readOnly, res)
	}
}

// TestPromoteOwnsSemisyncTimeout: the owned timeout is set before the
// master side is turned on, so that the first commit already waits that
// long, whatever my.cnf said; the same holds without a handover.
func TestPromoteOwnsSemisyncTimeout(t *testing.T) {
	w, _, db2, _ := topology()
	w.calls = nil
	r := w.runner(func(o *Options) { o.SemisyncTimeout = 7 * time.Second })
	if _, err := r.Promote(w.ctxUntil(time.Minute), db2.node()); err != nil {
		t.Fatal(err)
	}
	got := w.callsOf("db2")
	i, j := slices.Index(got, "SetSemisyncMasterTimeout 7s"), slices.Index(got, "SetSemisyncMaster true")
	if i < 0 || j < 0 || i > j || db2.semiTimeout != 7*time.Second {
		t.Errorf("db2 calls %q: want the timeout set to 7s before the master side goes on", got)
	}

	w, _, db2, _ = topology()
	w.calls = nil
	if _, err := r.EnableSemisyncMaster(w.ctxUntil(time.Minute), db2.node()); err != nil {
		t.Fatal(err)
	}
	if got := w.callsOf("db2"); !slices.Equal(got, []string{"SetSemisyncMasterTimeout 7s", "SetSemisyncMaster true"}) {
		t.Errorf("EnableSemisyncMaster calls %q", got)
	}
	db2.noSemisync = true
	if _, err := r.EnableSemisyncMaster(w.ctxUntil(time.Minute), db2.node()); !errors.Is(err, dbctl.ErrNoSemisync) {
		t.Errorf("no semisync: %v", err)
	}
}

// TestSemisyncWriter: a writer whose master side is on with the owned
// timeout is left alone; one with my.cnf's timeout or the side off gets
// both.
func TestSemisyncWriter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		on      bool
		timeout time.Duration
		want    []string
	}{
		{name: "kept", on: true, timeout: 7 * time.Second},
		{name: "my.cnf's timeout", on: true, timeout: 10 * time.Second,
			want: []string{"SetSemisyncMasterTimeout 7s", "SetSemisyncMaster true"}},
		{name: "master side off", timeout: 7 * time.Second,
			want: []string{"SetSemisyncMasterTimeout 7s", "SetSemisyncMaster true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, db1, _, _ := topology()
			db1.semiM, db1.semiTimeout = tc.on, tc.timeout
			w.calls = nil
			rec, err := w.runner(func(o *Options) { o.SemisyncTimeout = 7 * time.Second }).SemisyncWriter(w.ctxUntil(time.Minute), db1.node())
			if err != nil {
				t.Fatal(err)
			}
			if got := w.callsOf("db1"); !slices.Equal(got, tc.want) || len(rec.Steps) != len(tc.want) {
				t.Errorf("calls %q (record %s), want %q", got, rec, tc.want)
			}
			if !db1.semiM || db1.semiTimeout != 7*time.Second {
				t.Errorf("master side %v timeout %v, want on, 7s", db1.semiM, db1.semiTimeout)
			}
		})
	}
}
