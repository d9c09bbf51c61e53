package notify

import (
	"errors"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

var (
	errIface = errors.New("interface eth0: no such network interface")
	errTrack = errors.New("keepalived: read track file: no such file or directory")
)

func TestDecide(t *testing.T) {
	const (
		master  = keepalived.StateMaster
		backup  = keepalived.StateBackup
		fault   = keepalived.StateFault
		stop    = keepalived.StateStop
		deleted = keepalived.StateDeleted
	)
	holding := Observation{HoldsVIP: true, Eligible: true}
	eligible := Observation{Eligible: true}
	closed := Observation{}
	tests := []struct {
		name  string
		state keepalived.State
		obs   Observation
		want  Action
		why   string // a part of the reason
	}{
		{"MASTER holding the VIP: report", master, holding, ActionReport, "never opens writes"},
		{"MASTER whose VIP is gone: stale", master, eligible, ActionIgnore, "stale"},
		{"MASTER, interface unreadable: report as told", master, Observation{VIPErr: errIface}, ActionReport, "as told"},
		{"fifo-only master event behaves as MASTER", keepalived.StateMasterPriority, holding, ActionReport, ""},

		{"BACKUP after losing the VIP, track closed: fence", backup, closed, ActionFence, "BACKUP with the track file ineligible"},
		{"BACKUP eligible: on the way to MASTER", backup, eligible, ActionReport, "on the way to MASTER"},
		{"BACKUP while MASTER again: stale", backup, holding, ActionIgnore, "stale"},
		{"BACKUP, track file unreadable: fence", backup, Observation{TrackErr: errTrack}, ActionFence, "in doubt"},
		{"BACKUP eligible but interface unreadable: fence", backup, Observation{Eligible: true, VIPErr: errIface}, ActionFence, "in doubt"},

		{"FAULT: fence", fault, closed, ActionFence, "FAULT"},
		{"FAULT even when eligible (mmm-check failed)", fault, eligible, ActionFence, "mmm-check failed"},
		{"FAULT while MASTER again: stale", fault, holding, ActionIgnore, "stale"},
		{"FAULT, interface unreadable: fence", fault, Observation{VIPErr: errIface}, ActionFence, "in doubt"},
		{"FAULT ignores an unreadable track file", fault, Observation{TrackErr: errTrack}, ActionFence, "FAULT"},

		{"STOP: fence", stop, eligible, ActionFence, "stopping"},
		{"STOP while MASTER again (restarted): stale", stop, holding, ActionIgnore, "stale"},
		{"DELETED: fence", deleted, eligible, ActionFence, "removed by a reload"},
		{"unknown state: fence", keepalived.StateUnknown, eligible, ActionFence, "UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.obs.Where = "198.18.0.100 on eth0"
			d := Decide(tt.state, tt.obs)
			if d.Action != tt.want {
				t.Errorf("Decide(%v, %+v) = %v (%s), want %v", tt.state, tt.obs, d.Action, d.Why, tt.want)
			}
			if !strings.Contains(d.Why, tt.why) {
				t.Errorf("why %q does not say %q", d.Why, tt.why)
			}
			if strings.Contains(d.Why, "\n") {
				t.Errorf("why spans lines: %q", d.Why)
			}
		})
	}
}

// TestDecideNeverOpens: whatever is observed, no state leads to anything
// but report, fence or ignore, and only non-MASTER states fence.
func TestDecideNeverOpens(t *testing.T) {
	var obs []Observation
	for _, vip := range []bool{false, true} {
		for _, el := range []bool{false, true} {
			for _, verr := range []error{nil, errIface} {
				for _, terr := range []error{nil, errTrack} {
					obs = append(obs, Observation{HoldsVIP: vip && verr == nil, Eligible: el && terr == nil, VIPErr: verr, TrackErr: terr})
				}
			}
		}
	}
	for s := keepalived.StateUnknown; s <= keepalived.StateBackupPriority; s++ {
		for _, o := range obs {
			d := Decide(s, o)
			switch {
			case d.Action == ActionUnknown:
				t.Errorf("Decide(%v, %+v): no action", s, o)
			case d.Action == ActionFence && s.HoldsVIP():
				t.Errorf("Decide(%v, %+v) fences a MASTER", s, o)
			case d.Action == ActionFence && o.HoldsVIP:
				t.Errorf("Decide(%v, %+v) fences while keepalived holds the VIP", s, o)
			}
		}
	}
}

func TestAction(t *testing.T) {
	for _, a := range []Action{ActionReport, ActionFence, ActionIgnore} {
		got, err := ParseAction(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAction(%q) = %v, %v", a, got, err)
		}
	}
	if _, err := ParseAction("open"); err == nil {
		t.Error("ParseAction(open) succeeded")
	}
	if ActionUnknown.String() != "unknown" || Action(9).String() != "unknown(9)" {
		t.Errorf("String: %q %q", ActionUnknown, Action(9))
	}
}
