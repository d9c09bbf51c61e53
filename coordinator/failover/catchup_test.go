package failover

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// topology is the reference cluster in the fake: db1 the (old) writer,
// db2 its passive master, db3 a replica of db1, all caught up at 0-1-100.
func topology() (*world, *fakeDB, *fakeDB, *fakeDB) {
	w := newWorld()
	db1 := w.add("db1", "198.18.0.11", "0-1-100")
	db2 := w.add("db2", "198.18.0.12", "0-1-100").follows(db1)
	db3 := w.add("db3", "198.18.0.13", "0-1-100").follows(db1)
	db1.follows(db2)
	db1.readOnly = false
	return w, db1, db2, db3
}

// crash kills db1 after it wrote seq and shipped it to the given replicas
// only (a semisync ACK from db3 alone when db2's IO thread is stopped).
func crash(db1 *fakeDB, seq uint64, to ...*fakeDB) {
	db1.write(1, seq)
	for _, r := range to {
		r.w.mu.Lock()
		r.replicate()
		r.w.mu.Unlock()
	}
	db1.up = false
}

func mp(s string) gtid.MariaDBPos {
	p, err := gtid.ParseMariaDB(s)
	if err != nil {
		panic(err)
	}
	return p
}

func TestCatchUp(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the request; db1 is Previous, db3 the other.
		setup       func(w *world, db1, db2, db3 *fakeDB)
		policy      config.CatchupPolicy
		wantErr     error
		applied     string // the candidate's applied position at the end
		missing     string
		unrecov     string
		pulls       []string // From of each pull
		anyway      bool
		calls       []string // db2's changing calls, in order; nil = not checked
		target      string
		previousOff bool // Previous unreachable (db1 down)
	}{
		{name: "nothing to do: everybody at the same place",
			setup:   func(w *world, db1, db2, db3 *fakeDB) { db1.up = false },
			applied: "0-1-100", calls: []string{}},
		{name: "own relay log applied first",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				crash(db1, 101, db2, db3)
				db2.stallApply = 2 // received 0-1-101, applies it on the third wait
				db2.slave, db2.binlog = mp("0-1-100"), mp("0-1-100")
			},
			applied: "0-1-101", calls: []string{}},
		{name: "own relay log with the SQL thread stopped: started",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.sql = dbctl.ThreadStopped
				crash(db1, 101, db2, db3)
			},
			applied: "0-1-101", calls: []string{"StartReplication SQL_THREAD"}},
		{name: "own relay log behind an SQL error: refused",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.sqlBroken = true
				crash(db1, 101, db2, db3)
			},
			wantErr: ErrCatchUpIncomplete, applied: "0-1-100", missing: "0-1-101", pulls: []string{"db3"}},
		{name: "semisync: db3 alone acknowledged it; pulled, then back to db1",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.io = dbctl.ThreadStopped
				crash(db1, 101, db3)
			},
			applied: "0-1-101", pulls: []string{"db3"},
			calls: []string{
				"StopReplication SQL_THREAD",
				"ChangeSource repl@198.18.0.13:3306 (gtid)",
				"StartReplication IO_THREAD,SQL_THREAD",
				"StopReplication IO_THREAD,SQL_THREAD",
				"ChangeSource repl@198.18.0.11:3306 (gtid)",
				"StartReplication SQL_THREAD", // the IO thread was stopped before
			}},
		{name: "semisync, the candidate's IO thread still on the dead db1: killed, not waited for",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.ioConnecting, db2.stopIOBlocks = true, true
				crash(db1, 101, db3)
			},
			applied: "0-1-101", pulls: []string{"db3"},
			calls: []string{
				"StopReplication SQL_THREAD",
				"KillReplicaIO",
				"ChangeSource repl@198.18.0.13:3306 (gtid)",
				"StartReplication IO_THREAD,SQL_THREAD",
				"StopReplication IO_THREAD,SQL_THREAD",
				"ChangeSource repl@198.18.0.11:3306 (gtid)",
				"StartReplication IO_THREAD,SQL_THREAD",
			}},
		{name: "db3 still has it in its relay log only: it applies, then serves",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.io = dbctl.ThreadStopped
				db3.stallApply = 1
				crash(db1, 101)
				db3.receivedExtra = mp("0-1-101")
			},
			applied: "0-1-101", pulls: []string{"db3"}},
		{name: "db3 received it but its SQL thread is stopped: missing",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.io = dbctl.ThreadStopped
				db3.sql = dbctl.ThreadStopped
				crash(db1, 101)
				db3.receivedExtra = mp("0-1-101")
			},
			wantErr: ErrCatchUpIncomplete, applied: "0-1-100", missing: "0-1-101"},
		{name: "pull times out: refused, candidate pointed back",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.io = dbctl.ThreadStopped
				crash(db1, 101, db3)
				db2.stallApply = 1 << 20
			},
			wantErr: ErrCatchUpIncomplete, applied: "0-1-100", missing: "0-1-101", pulls: []string{"db3"}},
		{name: "pull times out, policy promote: recorded",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.io = dbctl.ThreadStopped
				crash(db1, 101, db3)
				db2.stallApply = 1 << 20
			},
			policy:  config.CatchupPromote,
			applied: "0-1-100", missing: "0-1-101", pulls: []string{"db3"}, anyway: true},
		{name: "source without binary log cannot serve",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db2.io = dbctl.ThreadStopped
				crash(db1, 101, db3)
				db3.noBinlog = true
			},
			wantErr: ErrCatchUpIncomplete, applied: "0-1-100", missing: "0-1-101", calls: []string{}},
		{name: "switchover: the old writer answers and is the candidate's source",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db1.write(1, 101)
				db1.write(1, 102)
				db2.stallApply = 1
			},
			applied: "0-1-102", calls: []string{}},
		{name: "switchover: the old writer's reads lose their connection once (mmm-notify's fence): read again",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db1.write(1, 101)
				db1.write(1, 102)
				db2.io = dbctl.ThreadStopped
				db1.lostOnce = map[string]bool{"BinlogGTIDState": true}
				db2.lostOnce = map[string]bool{"ReplicaStatus": true}
			},
			applied: "0-1-102", calls: []string{"StartReplication IO_THREAD"}},
		{name: "target beyond every reachable host: unrecoverable, not refused",
			setup:   func(w *world, db1, db2, db3 *fakeDB) { db1.up = false },
			target:  "0-1-105",
			applied: "0-1-100", unrecov: "0-1-105"},
		{name: "a source that fails to answer is skipped",
			setup: func(w *world, db1, db2, db3 *fakeDB) {
				db1.up = false
				db3.errs["GTIDState"] = errBoom
			},
			applied: "0-1-100"},
		{name: "candidate unreachable",
			setup:   func(w *world, db1, db2, db3 *fakeDB) { db2.up = false },
			wantErr: errors.New("connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, db1, db2, db3 := topology()
			tt.setup(w, db1, db2, db3)
			r := w.runner(func(o *Options) { o.Policy = tt.policy; o.CatchupTimeout = 10 * time.Second })
			prev := db1.node()
			if !db1.up {
				prev.DB = nil
			}
			req := CatchUpRequest{Candidate: db2.node(), Previous: prev, Others: []Node{db3.node()}}
			if tt.target != "" {
				req.Target = mpos(tt.target)
			}
			w.calls = nil
			res, err := r.CatchUp(w.ctxUntil(time.Minute), req)
			t.Log(res)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr != nil && res.Applied.IsEmpty() && tt.applied == "" {
				return
			}
			if res.Applied.String() != tt.applied || res.Missing.String() != tt.missing ||
				res.Unrecoverable.String() != tt.unrecov || res.PromoteAnyway != tt.anyway {
				t.Errorf("applied %q missing %q unrecoverable %q anyway %v\n%s", res.Applied, res.Missing,
					res.Unrecoverable, res.PromoteAnyway, res)
			}
			var pulls []string
			for _, p := range res.Pulls {
				pulls = append(pulls, p.From)
			}
			if !slices.Equal(pulls, tt.pulls) {
				t.Errorf("pulls %v, want %v", pulls, tt.pulls)
			}
			if db2.stopTimeouts != 0 {
				t.Errorf("%d STOP SLAVE on db2 ran into their deadline (waited on the dead db1)", db2.stopTimeouts)
			}
			if got := w.callsOf("db2"); tt.calls != nil && !slices.Equal(got, tt.calls) {
				t.Errorf("db2 calls:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.calls, "\n  "))
			}
			// Left as found: db2 replicates from db1 again.
			if db2.srcHost != "198.18.0.11" {
				t.Errorf("db2 left replicating from %s", db2.srcHost)
			}
			if strings.Contains(res.String(), "secret-pw") || (err != nil && strings.Contains(err.Error(), "secret-pw")) {
				t.Error("a password leaked")
			}
		})
	}
}

// checkErr compares with errors.Is, or by text for errors that are not
// sentinels.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && err == nil:
		t.Fatalf("no error, want %v", want)
	case want != nil && !errors.Is(err, want) && !strings.Contains(err.Error(), want.Error()):
		t.Fatalf("err %v, want %v", err, want)
	}
}

// TestCatchUpNoPreviousSource: a candidate that was not
// replicating at all is left stopped, pointing at the source it pulled
// from (there is nothing to go back to), and says so.
func TestCatchUpNoPreviousSource(t *testing.T) {
	w, db1, db2, db3 := topology()
	db2.replica, db2.io, db2.sql = false, dbctl.ThreadStopped, dbctl.ThreadStopped
	crash(db1, 101, db3)
	r := w.runner(nil)
	res, err := r.CatchUp(w.ctxUntil(time.Minute), CatchUpRequest{Candidate: db2.node(), Others: []Node{db3.node()}})
	if err != nil {
		t.Fatal(err, res)
	}
	if res.Applied.String() != "0-1-101" || !strings.Contains(res.String(), "left stopped, pointing at db3") {
		t.Errorf("%s", res)
	}
}

func TestCatchUpContextEnds(t *testing.T) {
	w, db1, db2, db3 := topology()
	db2.io = dbctl.ThreadStopped
	crash(db1, 101, db3)
	db2.stallApply = 1 << 20
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := w.runner(nil)
	res, err := r.CatchUp(ctx, CatchUpRequest{Candidate: db2.node(), Others: []Node{db3.node()}})
	if err == nil || !res.Missing.IsEmpty() && !errors.Is(err, ErrCatchUpIncomplete) {
		t.Errorf("err %v, result %s", err, res)
	}
}
