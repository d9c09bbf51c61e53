package fsm

import (
	"testing"
	"time"
)

// TestTickNeeded: the cluster is put into a situation and settled by one
// Tick at now; a Tick later must be needed exactly when a time-based
// rule fires by then. Asking never changes the state.
func TestTickNeeded(t *testing.T) {
	tests := []struct {
		name  string
		spec  func(*Spec)
		setup func(st *State, now time.Time)
		later time.Duration // when the Tick in question comes, after now
		want  bool
	}{
		{"healthy and settled", nil, nil, time.Hour, false},
		{"not started", nil, func(st *State, _ time.Time) { st.Started = false }, time.Hour, false},
		{"auto_set_online passed", func(s *Spec) { s.Timing.AutoSetOnline = 30 * time.Second },
			func(st *State, now time.Time) {
				h := st.Host("db3")
				h.State, h.LastStateChange = StateAwaitingRecovery, now.Add(-29*time.Second)
			}, 2 * time.Second, true},
		{"auto_set_online not yet", func(s *Spec) { s.Timing.AutoSetOnline = 30 * time.Second },
			func(st *State, now time.Time) {
				h := st.Host("db3")
				h.State, h.LastStateChange = StateAwaitingRecovery, now.Add(-20*time.Second)
			}, 2 * time.Second, false},
		{"flapping host, flap_duration passed", func(s *Spec) { s.Timing.AutoSetOnline = 30 * time.Second },
			func(st *State, now time.Time) {
				h := st.Host("db3")
				h.State, h.Flapping, h.LastStateChange = StateAwaitingRecovery, true, now.Add(-time.Hour)
				for i := range h.Checks {
					h.Checks[i].LastChange = now.Add(-time.Hour + time.Second)
				}
			}, 2 * time.Second, true},
		{"flapping host within flap_duration", func(s *Spec) { s.Timing.AutoSetOnline = 30 * time.Second },
			func(st *State, now time.Time) {
				h := st.Host("db3")
				h.State, h.Flapping, h.LastStateChange = StateAwaitingRecovery, true, now.Add(-time.Minute)
				for i := range h.Checks {
					h.Checks[i].LastChange = now.Add(-time.Minute)
				}
			}, time.Minute, false},
		{"replication failed within the peer's grace", nil,
			func(st *State, now time.Time) {
				failChecks(st, "db3", CheckRepThreads)
				st.Host("db1").OnlineSince = now.Add(-PeerGrace + 10*time.Second)
			}, 5 * time.Second, false},
		{"the peer's grace ended", nil,
			func(st *State, now time.Time) {
				failChecks(st, "db3", CheckRepThreads)
				st.Host("db1").OnlineSince = now.Add(-PeerGrace + time.Second)
			}, 5 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, now := steady(t, tt.spec)
			st := m.State()
			if tt.setup != nil {
				tt.setup(&st, now)
			}
			m = &Machine{spec: m.Spec(), st: st}
			m.Step(now, Tick{}) // settle: what is due at now happens now
			st, spec := m.State(), m.Spec()
			before := st.Clone()
			if got := TickNeeded(&spec, &st, now.Add(tt.later)); got != tt.want {
				t.Errorf("TickNeeded = %v, want %v", got, tt.want)
			}
			if !equalStates(st, before) {
				t.Error("TickNeeded changed the state")
			}
		})
	}
}

// TestTickNeededAgreesWithStep: along a random run, whenever TickNeeded
// says no, stepping the Tick indeed changes nothing.
func TestTickNeededAgreesWithStep(t *testing.T) {
	m, now := steady(t, func(s *Spec) { s.Timing.AutoSetOnline = 30 * time.Second })
	spec := m.Spec()
	inputs := []Input{
		Probe{Host: "db3", Check: CheckMySQL, Result: ResultFailed, Message: "ERROR: down"},
		Tick{}, Tick{},
		Probe{Host: "db3", Check: CheckMySQL, Result: ResultOK, Message: "OK"},
		Tick{}, Tick{}, Tick{}, Tick{},
	}
	skipped := 0
	for i, in := range inputs {
		now = now.Add(15 * time.Second)
		if _, ok := in.(Tick); ok {
			st := m.State()
			if !TickNeeded(&spec, &st, now) {
				skipped++
				m.Step(now, in)
				if after := m.State(); !equalStates(after, st) {
					t.Errorf("input %d: TickNeeded said no, the Tick changed the state", i)
				}
				continue
			}
		}
		m.Step(now, in)
	}
	if skipped == 0 {
		t.Error("no Tick was found unneeded: the test proves nothing")
	}
}
