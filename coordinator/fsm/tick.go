package fsm

import (
	"bytes"
	"time"
)

// TickNeeded reports whether a Tick at now would do anything: change the
// state, log an event or emit an action. A monitor round with nothing
// else to propose may skip a Tick that would not: the time-based rules
// (auto_set_online, flap_duration, the WAIT timeout, peer graces, repair
// retries) are evaluated on every input, so committing the no-op Tick
// and skipping it leave the same state, and the next round asks again.
//
// It steps a copy of st, so it is exact whatever the rules are, and
// pure: st is not modified. A difference it cannot tell from a change
// only costs the Tick.
func TickNeeded(spec *Spec, st *State, now time.Time) bool {
	m := Machine{spec: *spec, st: st.Clone()}
	out := m.Step(now, Tick{})
	if len(out.Events) > 0 || len(out.Actions) > 0 || out.Reply != nil {
		return true
	}
	before, err1 := st.Marshal()
	after, err2 := m.st.Marshal()
	return err1 != nil || err2 != nil || !bytes.Equal(before, after)
}
