package fsm

import (
	"strings"
	"testing"
	"time"
)

// TestWriterReenabled is the table of the rule that enables the writer's
// writes again after its own side fenced it (mayReenable): only the
// committed, ONLINE writer that was told so and seen writable, never
// during a handover, never next to another writable master.
func TestWriterReenabled(t *testing.T) {
	const event = "Writer 'db1' is read-only: enabling writes again"
	tests := []struct {
		name  string
		setup func(t *testing.T, m *Machine, now time.Time)
		in    Input
		want  []string // action strings
		event string   // a substring of the events ("" = none about re-enabling)
	}{
		{"the writer fenced by its own side", nil, Writable{"db1", false},
			[]string{"promote db1", "open-writer db1"}, event},
		{"manual mode: the role is kept, so are its writes", func(t *testing.T, m *Machine, now time.Time) {
			m.Step(now, Command{Op: OpSetManual})
		}, Writable{"db1", false}, []string{"promote db1", "open-writer db1"}, event},
		{"already read-only: no edge, nothing new", func(t *testing.T, m *Machine, now time.Time) {
			m.st.Host("db1").Writable = false
		}, Writable{"db1", false}, nil, ""},
		{"writable again: nothing", nil, Writable{"db1", true}, nil, ""},
		{"the other master is writable: no second writer", func(t *testing.T, m *Machine, now time.Time) {
			m.st.Host("db2").Writable = true
		}, Writable{"db1", false}, nil, ""},
		{"passive mode: no side effects", func(t *testing.T, m *Machine, now time.Time) {
			m.Step(now, Command{Op: OpSetPassive})
		}, Writable{"db1", false}, nil, ""},
		{"the old writer of a move_role is not promoted back", func(t *testing.T, m *Machine, now time.Time) {
			m.Step(now, Command{Op: OpMoveRole, Role: "writer", Host: "db2"})
		}, Writable{"db1", false}, nil, ""},
		{"a promotion in progress is not short-cut (never seen writable)", func(t *testing.T, m *Machine, now time.Time) {
			m.Step(now, Command{Op: OpMoveRole, Role: "writer", Host: "db2"})
		}, Writable{"db2", false}, nil, ""},
		{"a writer told nothing yet goes through the full promotion", func(t *testing.T, m *Machine, now time.Time) {
			m.st.Host("db1").Applied = Applied{}
		}, Writable{"db1", false}, []string{"catch-up db1", "promote db1", "open-writer db1", "reader-vips db1 198.18.0.101"}, ""},
		{"a writer not ONLINE keeps no writes", func(t *testing.T, m *Machine, now time.Time) {
			m.Step(now, Command{Op: OpSetManual})
			failChecks(&m.st, "db1", CheckMySQL)
		}, Writable{"db1", false}, nil, ""},
		{"a slave turning read-only: nothing", func(t *testing.T, m *Machine, now time.Time) {
			m.st.Host("db3").Writable = true
		}, Writable{"db3", false}, nil, ""},
		{"failover in the same step: the new writer is promoted with catch-up", func(t *testing.T, m *Machine, now time.Time) {
			failChecks(&m.st, "db1", CheckMySQL)
		}, Writable{"db1", false}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, now := steady(t, nil)
			if tt.setup != nil {
				tt.setup(t, m, now)
			}
			out := m.Step(now.Add(time.Second), tt.in)
			var got []string
			for _, a := range out.Actions {
				if a.Subject() == "db1" || a.Subject() == "db2" || a.Subject() == "db3" {
					got = append(got, a.String())
				}
			}
			ev := eventText(out)
			if tt.event != "" && !strings.Contains(ev, tt.event) {
				t.Errorf("events %q, want %q", ev, tt.event)
			}
			if tt.event == "" && strings.Contains(ev, "enabling writes again") {
				t.Errorf("unexpected re-enable: %q", ev)
			}
			if tt.name == "failover in the same step: the new writer is promoted with catch-up" {
				if !strings.Contains(strings.Join(got, "\n"), "catch-up db2") || strings.Contains(strings.Join(got, "\n"), "promote db1") {
					t.Errorf("failover: %v", got)
				}
				return
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("actions %v, want %v", got, tt.want)
			}
		})
	}
}
