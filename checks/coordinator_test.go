package checks

import (
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

func TestSemisync(t *testing.T) {
	on := dbctl.SemisyncStatus{MasterEnabled: true, MasterActive: true, Clients: 2}
	off := on
	off.MasterActive, off.NoTimes, off.NoTx = false, 3, 17
	disabled := dbctl.SemisyncStatus{}
	one := on
	one.Clients = 1
	runTable(t, func(f *fake) Check { return Semisync{Server: f, Timeout: time.Second, MinClients: 2} }, []want{
		{"on", &fake{semisync: on}, StatusOK, "Semisync is on with 2 clients"},
		{"too few clients", &fake{semisync: one}, StatusFailed, "Semisync has 1 clients, needs at least 2"},
		{"switched off", &fake{semisync: off}, StatusFailed,
			"Semisync is enabled but off: commits do not wait for a replica (switched off 3 times, 17 commits without ACK)"},
		{"disabled", &fake{semisync: disabled}, StatusFailed, "Semisync is disabled (rpl_semi_sync_master_enabled is OFF)"},
		{"not available", &fake{err: dbctl.ErrNoSemisync}, StatusFailed, "Semisync is not available on this server"},
		{"connect error", &fake{err: errRefusedConnect}, StatusUnknown, "Connect error ..."},
		{"timeout", &fake{err: errDeadline}, StatusFailed, "Timeout"},
		{"execute error", &fake{err: errQuery}, StatusUnknown, "Unknown state. Execute error: ..."},
		{"cancelled", &fake{err: errCanceled}, StatusUnknown, "Error occurred: check cancelled"},
	})
	f := &fake{}
	r := Semisync{Server: f, MinClients: 0}.Run(t.Context())
	checkResult(t, r, StatusOK, "Semisync is not required (semisync_min_clients 0)")
	if f.calls != 0 {
		t.Error("semisync not required, but the server was asked")
	}
}

func TestReadOnly(t *testing.T) {
	ro := dbctl.ReadOnlyState{ReadOnly: true}
	rw := dbctl.ReadOnlyState{}
	super := dbctl.ReadOnlyState{SuperReadOnly: true}
	for _, tc := range []struct {
		want  bool
		cases []want
	}{
		{true, []want{
			{"fenced", &fake{readOnly: ro}, StatusOK, ""},
			{"open", &fake{readOnly: rw}, StatusFailed, "read_only is OFF, expected ON"},
			{"connect error", &fake{err: errRefusedConnect}, StatusUnknown, "Connect error ..."},
		}},
		{false, []want{
			{"open", &fake{readOnly: rw}, StatusOK, ""},
			{"fenced", &fake{readOnly: ro}, StatusFailed, "read_only is ON, expected OFF"},
			{"super_read_only left on", &fake{readOnly: super}, StatusFailed, "super_read_only is ON, expected OFF"},
			{"timeout", &fake{err: errDeadline}, StatusFailed, "Timeout"},
		}},
	} {
		runTable(t, func(f *fake) Check { return ReadOnly{Server: f, Timeout: time.Second, Want: tc.want} }, tc.cases)
	}
}
