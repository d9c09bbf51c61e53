package notify

import (
	"fmt"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// Action is what Handle does with one notification. The zero value is
// ActionUnknown.
type Action uint8

const (
	ActionUnknown Action = iota
	// ActionReport: report the transition; touch nothing.
	ActionReport
	// ActionFence: fence the local MySQL and report the transition.
	ActionFence
	// ActionIgnore: the notification is stale; do nothing.
	ActionIgnore
)

var actionNames = []string{"unknown", "report", "fence", "ignore"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("unknown(%d)", uint8(a))
}

// ParseAction parses report, fence or ignore.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames[1:] {
		if strings.EqualFold(s, n) {
			return Action(i + 1), nil
		}
	}
	return ActionUnknown, fmt.Errorf("notify: unknown action %q (want report, fence or ignore)", s)
}

// Observation is what is true on the host now, read after keepalived
// started the notification.
type Observation struct {
	// HoldsVIP: a writer VIP is on the VRRP interface, i.e. keepalived is
	// MASTER now. VIPErr: the interface could not be read (HoldsVIP is
	// then false).
	HoldsVIP bool
	VIPErr   error
	// Eligible: the track file holds 0, i.e. the coordinator assigned the
	// writer to this host. TrackErr: the file could not be read or holds
	// no integer (Eligible is then false).
	Eligible bool
	TrackErr error
	// Where names the interface and VIPs for messages ("198.18.0.100 on
	// eth0").
	Where string
}

// Decision is Decide's answer, with the reason in words for the one-line
// outcome.
type Decision struct {
	Action Action
	Why    string
}

// Decide is the whole policy of mmm-notify (see the package
// documentation): what to do with a notification that keepalived
// entered state, given what is observed now. It is pure.
func Decide(state keepalived.State, o Observation) Decision {
	vip := "the writer VIP (" + o.Where + ")"
	if state.HoldsVIP() {
		switch {
		case o.VIPErr != nil:
			return Decision{ActionReport, fmt.Sprintf("reporting MASTER as told: cannot read %s: %v", vip, o.VIPErr)}
		case !o.HoldsVIP:
			return Decision{ActionIgnore, "stale: " + vip + " is gone again, keepalived left MASTER since; the newer notification acts"}
		}
		return Decision{ActionReport, "keepalived holds " + vip + "; mmm-notify never opens writes"}
	}
	if o.VIPErr == nil && o.HoldsVIP {
		return Decision{ActionIgnore, "stale: keepalived holds " + vip + " again (MASTER); the newer notification acts"}
	}
	if state == keepalived.StateBackup && o.TrackErr == nil && o.Eligible && o.VIPErr == nil {
		return Decision{ActionReport, "BACKUP with the track file eligible: on the way to MASTER for the coordinator, no fence"}
	}
	why := map[keepalived.State]string{
		keepalived.StateBackup:  "BACKUP with the track file ineligible",
		keepalived.StateFault:   "FAULT (mmm-check failed or the track file is ineligible)",
		keepalived.StateStop:    "keepalived is stopping",
		keepalived.StateDeleted: "the instance was removed by a reload",
	}[state]
	if why == "" {
		why = state.String()
	}
	why += ": no VIP here, no writes here"
	var doubts []string
	if o.VIPErr != nil {
		doubts = append(doubts, fmt.Sprintf("cannot read %s: %v", vip, o.VIPErr))
	}
	if state == keepalived.StateBackup && o.TrackErr != nil {
		doubts = append(doubts, fmt.Sprintf("track file: %v", o.TrackErr))
	}
	if len(doubts) > 0 {
		why += " (in doubt, fencing: " + strings.Join(doubts, "; ") + ")"
	}
	return Decision{ActionFence, why}
}
