package coordinator

import (
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// TestNovel: only inputs that can change the committed state are kept.
func TestNovel(t *testing.T) {
	f, _ := started(t)
	f.apply(t0.Add(1), []fsm.Input{fsm.Probe{Host: "db3", Check: fsm.CheckRepThreads, Result: fsm.ResultFailed, Message: "ERROR: x"}}, nil)
	st := f.r.View().State
	// keep: novel keeps it for the round; moves: it is proposed at once
	// (movesTrap) instead of waiting for the round.
	tests := []struct {
		name        string
		in          fsm.Input
		keep, moves bool
	}{
		{"ping OK, already OK", fsm.Probe{Host: "db1", Check: fsm.CheckPing, Result: fsm.ResultOK}, false, false},
		{"mysql OK refreshes LastOK", fsm.Probe{Host: "db1", Check: fsm.CheckMySQL, Result: fsm.ResultOK}, true, false},
		{"ping failing: starts the trap", fsm.Probe{Host: "db1", Check: fsm.CheckPing, Result: fsm.ResultFailed}, true, true},
		{"mysql failing: starts the trap", fsm.Probe{Host: "db1", Check: fsm.CheckMySQL, Result: fsm.ResultFailed}, true, true},
		{"unknown after OK", fsm.Probe{Host: "db1", Check: fsm.CheckPing, Result: fsm.ResultUnknown}, true, true},
		{"failing again while trapping", fsm.Probe{Host: "db3", Check: fsm.CheckRepThreads, Result: fsm.ResultFailed}, true, true},
		{"OK while trapping", fsm.Probe{Host: "db3", Check: fsm.CheckRepThreads, Result: fsm.ResultOK}, true, true},
		{"same writable", fsm.Writable{Host: "db1", Writable: true}, false, false},
		{"writable changed", fsm.Writable{Host: "db2", Writable: true}, true, false},
		{"same master", fsm.Follows{Host: "db3", Master: "db1"}, false, false},
		{"new master", fsm.Follows{Host: "db3", Master: "db2"}, true, false},
		{"unknown GTID stays unknown", fsm.GTID{Host: "db1"}, false, false},
		{"GTID moved", fsm.GTID{Host: "db1", Position: fsm.Position{"0": 11}}, true, false},
		{"uptime always", fsm.Uptime{Host: "db1", Seconds: 5}, true, false},
	}
	for _, tt := range tests {
		if got := len(novel(&st, []fsm.Input{tt.in})) == 1; got != tt.keep {
			t.Errorf("%s: kept %v, want %v", tt.name, got, tt.keep)
		}
		if got := movesTrap(&st, tt.in); got != tt.moves {
			t.Errorf("%s: moves the trap %v, want %v", tt.name, got, tt.moves)
		}
	}
	// A state kept by an older version: trap OK over a stored failure.
	st.Host("db2").Checks[fsm.CheckRepThreads-1] = fsm.CheckStatus{Known: true, Trap: fsm.TrapOK, Message: "ERROR: x"}
	if len(novel(&st, []fsm.Input{fsm.Probe{Host: "db2", Check: fsm.CheckRepThreads, Result: fsm.ResultOK}})) != 1 {
		t.Error("an OK over a stored failure was dropped")
	}
	fresh := newFeeder(t).r.View().State
	if len(novel(&fresh, []fsm.Input{fsm.Probe{Host: "db1", Check: fsm.CheckPing, Result: fsm.ResultOK}})) != 1 {
		t.Error("an initial check was dropped before startup")
	}
}
