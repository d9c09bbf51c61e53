package failover

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// promoted is the topology after db1 died at 0-1-101 (shipped to all)
// and db2 took over and wrote 0-2-102..0-2-110.
func promoted() (*world, *fakeDB, *fakeDB, *fakeDB) {
	w, db1, db2, db3 := topology()
	crash(db1, 101, db2, db3)
	db2.io, db2.sql, db2.readOnly, db2.semiM = dbctl.ThreadStopped, dbctl.ThreadStopped, false, true
	db2.write(2, 110)
	db3.semiM = true // as if it had been enabled by mistake
	return w, db1, db2, db3
}

func TestRepoint(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(db1, db2, db3 *fakeDB)
		limit   time.Duration // fake time before the context ends; 0 = a minute
		wantErr error
		calls   []string // db3's changing calls
		changed bool
		starts  int
		// stopTimeouts: STOP SLAVE statements that ran into their
		// deadline (the failover waited on a dead source).
		stopTimeouts int
	}{
		{name: "replica of the dead writer to the new one",
			setup: func(db1, db2, db3 *fakeDB) { db3.ioConnecting = true },
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO", "ChangeSource repl@198.18.0.12:3306 (gtid)",
				"SetSemisyncMaster false", "SetSemisyncReplica true", "StartReplication IO_THREAD,SQL_THREAD"},
			changed: true, starts: 1},
		{name: "STOP SLAVE would hang on the dead source: the IO thread is killed instead",
			setup: func(db1, db2, db3 *fakeDB) { db3.ioConnecting, db3.stopIOBlocks = true, true },
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO", "ChangeSource repl@198.18.0.12:3306 (gtid)",
				"SetSemisyncMaster false", "SetSemisyncReplica true", "StartReplication IO_THREAD,SQL_THREAD"},
			changed: true, starts: 1},
		{name: "the killed IO thread outlives StopIOTimeout: STOP SLAVE, polled",
			setup: func(db1, db2, db3 *fakeDB) { db3.ioConnecting, db3.killIOLate = true, true },
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO", "StopReplication IO_THREAD,SQL_THREAD",
				"ChangeSource repl@198.18.0.12:3306 (gtid)",
				"SetSemisyncMaster false", "SetSemisyncReplica true", "StartReplication IO_THREAD,SQL_THREAD"},
			changed: true, starts: 1},
		{name: "MySQL: STOP SLAVE IO_THREAD hangs on the dead source: polled until it completes",
			setup: func(db1, db2, db3 *fakeDB) {
				db3.ioConnecting, db3.stopIOBlocks = true, true
				db3.flavor, db2.flavor = dbctl.MySQL, dbctl.MySQL
				db3.auto = true
			},
			calls: []string{"StopReplication SQL_THREAD", "StopReplication IO_THREAD", "StopReplication IO_THREAD,SQL_THREAD",
				"ChangeSource repl@198.18.0.12:3306 (gtid)",
				"SetSemisyncMaster false", "SetSemisyncReplica true", "StartReplication IO_THREAD,SQL_THREAD"},
			stopTimeouts: 1, changed: true, starts: 1},
		{name: "received events the SQL thread cannot apply: STOP SLAVE as before",
			setup: func(db1, db2, db3 *fakeDB) {
				db3.slave, db3.binlog = mp("0-1-100"), mp("0-1-100")
				db3.sql, db3.sqlErrno = dbctl.ThreadStopped, 1062
			},
			calls: []string{"StopReplication IO_THREAD,SQL_THREAD", "ChangeSource repl@198.18.0.12:3306 (gtid)",
				"SetSemisyncMaster false", "SetSemisyncReplica true", "StartReplication IO_THREAD,SQL_THREAD"},
			changed: true, starts: 1},
		{name: "already replicating from the new writer: nothing but semisync",
			setup: func(db1, db2, db3 *fakeDB) { db3.follows(db2) },
			calls: []string{"SetSemisyncMaster false", "SetSemisyncReplica true"}},
		{name: "pointed at the new writer but stopped: started",
			setup: func(db1, db2, db3 *fakeDB) {
				db3.follows(db2)
				db3.io, db3.sql = dbctl.ThreadStopped, dbctl.ThreadStopped
			},
			calls:  []string{"SetSemisyncMaster false", "SetSemisyncReplica true", "StartReplication IO_THREAD,SQL_THREAD"},
			starts: 1},
		{name: "IO thread fails twice (e.g. 1045), then runs",
			setup: func(db1, db2, db3 *fakeDB) { db3.startFails = 2 },
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO", "ChangeSource repl@198.18.0.12:3306 (gtid)",
				"SetSemisyncMaster false", "SetSemisyncReplica true", "StartReplication IO_THREAD,SQL_THREAD",
				"StartReplication IO_THREAD,SQL_THREAD", "StartReplication IO_THREAD,SQL_THREAD"},
			changed: true, starts: 3},
		{name: "never runs: ErrNotRunning when the context ends",
			setup:   func(db1, db2, db3 *fakeDB) { db3.startFails = 1 << 20 },
			limit:   10 * time.Second,
			wantErr: ErrNotRunning, changed: true},
		{name: "errant transaction on the replica: refused, untouched",
			setup: func(db1, db2, db3 *fakeDB) {
				db3.write(3, 102) // a write on db3 itself
			},
			wantErr: ErrErrant, calls: []string{}},
		{name: "unapplied relay log of the old source is applied first",
			setup: func(db1, db2, db3 *fakeDB) {
				db3.slave, db3.binlog = mp("0-1-100"), mp("0-1-100")
				db3.stallApply = 1
			},
			calls: []string{"StopReplication SQL_THREAD", "KillReplicaIO", "ChangeSource repl@198.18.0.12:3306 (gtid)",
				"SetSemisyncMaster false", "SetSemisyncReplica true", "StartReplication IO_THREAD,SQL_THREAD"},
			changed: true, starts: 1},
		{name: "new writer unreachable",
			setup:   func(db1, db2, db3 *fakeDB) { db2.up = false },
			wantErr: errors.New("connection refused"), calls: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, db1, db2, db3 := promoted()
			tt.setup(db1, db2, db3)
			w.calls = nil
			limit := tt.limit
			if limit == 0 {
				limit = time.Minute
			}
			res, err := w.runner(nil).Repoint(w.ctxUntil(limit), db3.node(), db2.node())
			t.Log(res)
			checkErr(t, err, tt.wantErr)
			if got := w.callsOf("db3"); tt.calls != nil && !slices.Equal(got, tt.calls) {
				t.Errorf("db3 calls:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.calls, "\n  "))
			}
			if db3.stopTimeouts != tt.stopTimeouts {
				t.Errorf("%d STOP SLAVE ran into their deadline, want %d", db3.stopTimeouts, tt.stopTimeouts)
			}
			if tt.wantErr == nil && !db3.slave.Contains(mp("0-1-101")) {
				t.Errorf("db3 applied %s: the old source's 0-1-101 was lost", db3.slave)
			}
			if res.Changed != tt.changed || (tt.wantErr == nil && res.Starts != tt.starts) {
				t.Errorf("changed %v starts %d", res.Changed, res.Starts)
			}
			if tt.wantErr != nil {
				return
			}
			if db3.srcHost != "198.18.0.12" || db3.io != dbctl.ThreadRunning || db3.sql != dbctl.ThreadRunning || !db3.auto {
				t.Errorf("db3 replicates from %s (gtid %v), IO %v SQL %v", db3.srcHost, db3.auto, db3.io, db3.sql)
			}
			if db3.semiM || !db3.semiR {
				t.Errorf("db3 semisync master %v replica %v", db3.semiM, db3.semiR)
			}
		})
	}
}

func TestRepointPositional(t *testing.T) {
	w := newWorld()
	master := w.add("db2", "198.18.0.12", "")
	rep := w.add("db3", "198.18.0.13", "").follows(w.add("db1", "198.18.0.11", ""))
	for _, d := range []*fakeDB{master, rep} {
		d.flavor = dbctl.MySQL
	}
	rep.auto = false
	_, err := w.runner(nil).Repoint(w.ctxUntil(time.Minute), rep.node(), master.node())
	if !errors.Is(err, ErrNoSafePosition) {
		t.Fatalf("err %v, want ErrNoSafePosition", err)
	}
	if got := w.callsOf("db3"); len(got) != 0 {
		t.Errorf("changed something: %v", got)
	}
	// Already following it by position: started as it is, never changed.
	rep.srcHost = "198.18.0.12"
	rep.io = dbctl.ThreadStopped
	res, err := w.runner(nil).Repoint(w.ctxUntil(time.Minute), rep.node(), master.node())
	if err != nil || res.Changed || rep.auto || rep.io != dbctl.ThreadRunning {
		t.Errorf("err %v, %s; auto %v io %v", err, res, rep.auto, rep.io)
	}
}

func TestRepointMySQLGTID(t *testing.T) {
	w := newWorld()
	master := w.add("db2", "198.18.0.12", "")
	rep := w.add("db3", "198.18.0.13", "").follows(w.add("db1", "198.18.0.11", ""))
	set, _ := gtid.ParseMySQL(uuidA + ":1-10")
	for _, d := range []*fakeDB{master, rep} {
		d.flavor, d.mysqlExecuted = dbctl.MySQL, set
	}
	rep.auto = false
	res, err := w.runner(nil).Repoint(w.ctxUntil(time.Minute), rep.node(), master.node())
	if err != nil || !res.Changed || !rep.auto {
		t.Errorf("err %v, %s; auto %v", err, res, rep.auto)
	}
	more, _ := gtid.ParseMySQL(uuidA + ":1-11")
	rep.mysqlExecuted = more
	_, err = w.runner(nil).Repoint(w.ctxUntil(time.Minute), rep.node(), master.node())
	var ee *ErrantError
	if !errors.As(err, &ee) || !slices.Equal(ee.GTIDs, []string{uuidA + ":11"}) {
		t.Errorf("err %v, want the errant %s:11", err, uuidA)
	}
}

func TestRejoin(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(db1, db2 *fakeDB)
		wantErr error
		errant  []string
		caught  string
	}{
		{name: "restarted old master, replication resumed by itself",
			setup:  func(db1, db2 *fakeDB) { db1.up = true; db1.readOnly = true },
			caught: "0-2-110"},
		{name: "came back writable: fenced first",
			setup:  func(db1, db2 *fakeDB) { db1.up = true; db1.readOnly = false },
			caught: "0-2-110"},
		{name: "died mid-transaction: errant GTID, refused",
			setup: func(db1, db2 *fakeDB) {
				db1.up = true
				db1.write(1, 102) // never shipped; db2 went on to 0-2-110
			},
			wantErr: ErrErrant, errant: []string{"0-1-102"}},
		{name: "does not catch up in time",
			setup: func(db1, db2 *fakeDB) {
				db1.up = true
				db1.stallApply = 1 << 20
			},
			wantErr: ErrNotCaughtUp},
		{name: "old master still down",
			setup:   func(db1, db2 *fakeDB) {},
			wantErr: errors.New("connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, db1, db2, _ := promoted()
			db1.recv, db1.slave = mp("0-1-100"), mp("0-1-100")
			tt.setup(db1, db2)
			res, err := w.runner(func(o *Options) { o.CatchupTimeout = 5 * time.Second }).Rejoin(w.ctxUntil(time.Minute), db1.node(), db2.node())
			t.Log(res)
			checkErr(t, err, tt.wantErr)
			if !slices.Equal(res.Errant, tt.errant) || res.CaughtUp.String() != tt.caught {
				t.Errorf("errant %v caught up %q", res.Errant, res.CaughtUp)
			}
			if db1.up && !db1.readOnly {
				t.Error("db1 left writable")
			}
			if tt.wantErr == nil && (db1.io != dbctl.ThreadRunning || db1.sql != dbctl.ThreadRunning || db1.srcHost != "198.18.0.12") {
				t.Errorf("db1 from %s IO %v SQL %v", db1.srcHost, db1.io, db1.sql)
			}
			if errors.Is(err, ErrErrant) && len(w.callsOf("db1")) != 1 {
				t.Errorf("errant: more than read_only changed: %v", w.callsOf("db1"))
			}
		})
	}
}

// TestRepointRestartsIOForSemisync: a replica that already replicates
// from the master, but whose IO thread connected while its semisync
// replica side was off (a demoted writer whose ring was closed again),
// gets its IO thread restarted, so that it acknowledges again; one whose
// side is active is left running.
func TestRepointRestartsIOForSemisync(t *testing.T) {
	w, db1, db2, _ := topology()
	db2.semiR, db2.semiRActive = false, false // promoted once, ring closed since
	w.calls = nil
	res, err := w.runner(nil).Repoint(w.ctxUntil(time.Minute), db2.node(), db1.node())
	if err != nil {
		t.Fatal(err)
	}
	got := w.callsOf("db2")
	want := []string{"SetSemisyncMaster false", "SetSemisyncReplica true", "KillReplicaIO", "StartReplication IO_THREAD"}
	if !slices.Equal(got, want) || !res.Already || !db2.semiRActive {
		t.Errorf("calls %q (already %v, semisync replica active %v), want %q", got, res.Already, db2.semiRActive, want)
	}
	w.calls = nil
	if _, err := w.runner(nil).Repoint(w.ctxUntil(time.Minute), db2.node(), db1.node()); err != nil {
		t.Fatal(err)
	}
	if got := w.callsOf("db2"); slices.Contains(got, "KillReplicaIO") {
		t.Errorf("active replica side: calls %q restart the IO thread", got)
	}
}

// TestRepointEndsStaleDumpThreads: before a replica's IO thread connects,
// the master ends its dump threads for the replica's address (one left
// blocked on a cut link stalled the master when the replica came back);
// a replica whose IO thread runs keeps its live one.
func TestRepointEndsStaleDumpThreads(t *testing.T) {
	w, _, db2, db3 := promoted()
	w.calls = nil
	if _, err := w.runner(nil).Repoint(w.ctxUntil(time.Minute), db3.node(), db2.node()); err != nil {
		t.Fatal(err)
	}
	kill := slices.Index(w.calls, "db2: KillDumpThreads 198.18.0.13")
	start := slices.IndexFunc(w.calls, func(c string) bool { return strings.HasPrefix(c, "db3: StartReplication") })
	if kill < 0 || start < 0 || kill > start {
		t.Errorf("calls %q: want db2's dump threads for db3 ended before db3 starts replicating", w.calls)
	}
	w.calls = nil
	if _, err := w.runner(nil).Repoint(w.ctxUntil(time.Minute), db3.node(), db2.node()); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(w.calls, func(c string) bool { return strings.Contains(c, "KillDumpThreads") }) {
		t.Errorf("running replica: calls %q end its live dump thread", w.calls)
	}
}

// TestSemisyncNonWriter: a host without the writer role gets the master
// side off and the replica side on, whatever its my.cnf set (the seed
// article's enables both on both masters); a running IO thread whose
// replica side is not active is reconnected; a host already so is left
// alone.
func TestSemisyncNonWriter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		set        func(db2 *fakeDB)
		want       []string
		wantActive bool
	}{
		{name: "seed my.cnf: both sides on",
			set:  func(db2 *fakeDB) { db2.semiM = true },
			want: []string{"SetSemisyncMaster false"}, wantActive: true},
		{name: "already so",
			set: func(db2 *fakeDB) {}, wantActive: true},
		{name: "replica side off, IO thread running",
			set:  func(db2 *fakeDB) { db2.semiR, db2.semiRActive = false, false },
			want: []string{"SetSemisyncReplica true", "KillReplicaIO", "StartReplication IO_THREAD"}, wantActive: true},
		{name: "replica side on but not active (enabled after the IO thread connected)",
			set:  func(db2 *fakeDB) { db2.semiRActive = false },
			want: []string{"KillReplicaIO", "StartReplication IO_THREAD"}, wantActive: true},
		{name: "replication stopped: the start turns it on",
			set: func(db2 *fakeDB) {
				db2.semiM, db2.semiR, db2.semiRActive = true, false, false
				db2.io, db2.sql = dbctl.ThreadStopped, dbctl.ThreadStopped
			},
			want: []string{"SetSemisyncMaster false", "SetSemisyncReplica true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _, db2, _ := topology()
			tc.set(db2)
			w.calls = nil
			if _, err := w.runner(nil).SemisyncNonWriter(w.ctxUntil(time.Minute), db2.node()); err != nil {
				t.Fatal(err)
			}
			if got := w.callsOf("db2"); !slices.Equal(got, tc.want) {
				t.Errorf("calls %q, want %q", got, tc.want)
			}
			if db2.semiM || !db2.semiR || (db2.semiRActive && db2.io == dbctl.ThreadRunning) != tc.wantActive {
				t.Errorf("master %v, replica %v, active %v: want master off, replica on, active %v",
					db2.semiM, db2.semiR, db2.semiRActive, tc.wantActive)
			}
		})
	}
	w, _, db2, _ := topology()
	db2.noSemisync = true
	if _, err := w.runner(nil).SemisyncNonWriter(w.ctxUntil(time.Minute), db2.node()); !errors.Is(err, dbctl.ErrNoSemisync) {
		t.Errorf("no semisync: err %v, want ErrNoSemisync", err)
	}
}
