package fsm

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line string
		want Command
		err  string
	}{
		{"set_online db1", Command{Op: OpSetOnline, Host: "db1"}, ""},
		{"set_online --force db1", Command{Op: OpSetOnline, Host: "db1", Force: true}, ""},
		{"  set_offline   db2 ", Command{Op: OpSetOffline, Host: "db2"}, ""},
		{"mode", Command{Op: OpMode}, ""},
		{"set_active", Command{Op: OpSetActive}, ""},
		{"set_manual", Command{Op: OpSetManual}, ""},
		{"set_passive", Command{Op: OpSetPassive}, ""},
		{"move_role writer db2", Command{Op: OpMoveRole, Role: "writer", Host: "db2"}, ""},
		{"move_role --force writer db2", Command{Op: OpMoveRole, Role: "writer", Host: "db2", Force: true}, ""},
		{"set_ip 198.18.0.101 db3", Command{Op: OpSetIP, IP: "198.18.0.101", Host: "db3"}, ""},
		{"", Command{}, "Invalid command ''"},
		{"show", Command{}, "Invalid command 'show'"},
		{"mode now", Command{}, "Invalid command 'mode now'"},
		{"set_online", Command{}, "Invalid command 'set_online'"},
		{"set_online --quick db1", Command{}, "Invalid command 'set_online --quick db1'"},
		{"move_role --hard writer db2", Command{}, "Invalid command 'move_role --hard writer db2'"},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.line)
		if tt.err != "" {
			if !errors.Is(err, ErrParse) || !strings.HasSuffix(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %+v, %v; want %+v", tt.line, got, err, tt.want)
			continue
		}
		if again, err := ParseCommand(got.String()); err != nil || again != got {
			t.Errorf("%q: String() %q does not parse back: %+v %v", tt.line, got.String(), again, err)
		}
	}
	if got := (Command{Op: Op(42)}).String(); got != "invalid(42)" {
		t.Errorf("an invalid op renders %q", got)
	}
}

// TestCommandReplies covers replies the transcripts do not show.
func TestCommandReplies(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *Machine)
		cmd   Command
		ok    bool
		reply string
	}{
		{"invalid op", nil, Command{Op: OpInvalid}, false, "Invalid command 'invalid'"},
		{"set_ip with a bad address", func(m *Machine) { m.st.Mode = 4 }, Command{Op: OpSetIP, IP: "not-an-ip", Host: "db1"},
			false, "ERROR: Unknown ip 'not-an-ip'!"},
		{"move_role --force of an unknown role", nil, Command{Op: OpMoveRole, Force: true, Role: "x", Host: "db1"},
			false, "ERROR: Unknown role name 'x'!"},
		{"move_role --force onto an unknown host", nil, Command{Op: OpMoveRole, Force: true, Role: "writer", Host: "db9"},
			false, "ERROR: Unknown host name 'db9'!"},
		{"move_role --force onto a slave", func(m *Machine) {
			m.st.Host("db3").State = StateReplicationFail
			failChecks(&m.st, "db3", CheckRepThreads)
		},
			Command{Op: OpMoveRole, Force: true, Role: "writer", Host: "db3"},
			false, "ERROR: Host 'db3' can't handle role 'writer'. Only following hosts could: db1, db2"},
		{"move_role --force onto the owner", func(m *Machine) {
			m.st.Host("db1").State = StateReplicationFail
			failChecks(&m.st, "db1", CheckRepThreads)
		}, Command{Op: OpMoveRole, Force: true, Role: "writer", Host: "db1"},
			true, "OK: Role is on 'db1' already. Skipping command."},
		{"move_role --force onto an unreachable host", func(m *Machine) {
			m.st.Host("db2").State = StateReplicationDelay
			m.st.Host("db2").Unreachable = true
			failChecks(&m.st, "db2", CheckRepBacklog)
		}, Command{Op: OpMoveRole, Force: true, Role: "writer", Host: "db2"},
			false, "ERROR: Can't reach agent daemon on 'db2'! Can't move roles there!"},
		{"move_role --force of an orphaned writer", func(m *Machine) {
			m.st.Mode = 2 // MANUAL: the orphan stays, db1's agent is down
			m.st.role("writer").IPs[0].Host = ""
			m.st.Host("db1").Unreachable = true
			m.st.Host("db2").State = StateReplicationDelay
			failChecks(&m.st, "db2", CheckRepBacklog)
		}, Command{Op: OpMoveRole, Force: true, Role: "writer", Host: "db2"},
			true, "OK: Role 'writer' has been moved from '' to 'db2' enforcedly. Now you can wait some time and check new roles info!"},
		{"move_role --force keeps a healthy old owner ONLINE", func(m *Machine) {
			m.st.Host("db2").State = StateReplicationDelay
			failChecks(&m.st, "db2", CheckRepBacklog)
		}, Command{Op: OpMoveRole, Force: true, Role: "writer", Host: "db2"},
			true, "OK: Role 'writer' has been moved from 'db1' to 'db2' enforcedly. Now you can wait some time and check new roles info!"},
		{"move_role of a balanced role onto an unknown host", nil, Command{Op: OpMoveRole, Role: "reader", Host: "db9"},
			false, "ERROR: Unknown host name 'db9'!"},
		{"set_offline of an unknown host", nil, Command{Op: OpSetOffline, Host: "db9"}, false, "ERROR: Unknown host name 'db9'!"},
		{"set_offline of an unreachable host", func(m *Machine) { m.st.Host("db3").Unreachable = true },
			Command{Op: OpSetOffline, Host: "db3"}, false, "ERROR: Can't reach agent daemon on 'db3'! Can't switch its state!"},
		{"set_online of a lagging host", func(m *Machine) {
			h := m.st.Host("db3")
			h.State = StateAwaitingRecovery
			failChecks(&m.st, "db3", CheckRepBacklog)
		}, Command{Op: OpSetOnline, Host: "db3"}, false,
			"ERROR: Replication of 'db3' from the active master is not verified (rep_backlog: ERROR: test). We can't set 'db3' online now. Please, wait some time or use set_online --force."},
		{"set_online while the writer's replication from this host is stopped by its promotion", func(m *Machine) {
			m.st.Host("db2").State = StateAdminOffline
			m.st.Host("db1").RingStopped = true
			failChecks(&m.st, "db1", CheckRepThreads, CheckRepBacklog)
		}, Command{Op: OpSetOnline, Host: "db2"}, true,
			"OK: State of 'db2' changed to ONLINE. Now you can wait some time and check its new roles!"},
		{"set_online while the writer's replication from this host is broken otherwise (MMM)", func(m *Machine) {
			m.st.Host("db2").State = StateAdminOffline
			failChecks(&m.st, "db1", CheckRepThreads)
		}, Command{Op: OpSetOnline, Host: "db2"}, false,
			"ERROR: Some replication checks failed on peer 'db1'. We can't set 'db2' online now. Please, wait some time."},
		{"set_online while the writer lags behind this host (MMM)", func(m *Machine) {
			m.st.Host("db2").State = StateAdminOffline
			m.st.Host("db1").RingStopped = true
			failChecks(&m.st, "db1", CheckRepBacklog)
		}, Command{Op: OpSetOnline, Host: "db2"}, false,
			"ERROR: Some replication checks failed on peer 'db1'. We can't set 'db2' online now. Please, wait some time."},
		{"set_online of a host following the wrong master", func(m *Machine) {
			h := m.st.Host("db3")
			h.State, h.Follows = StateAwaitingRecovery, "db2"
		}, Command{Op: OpSetOnline, Host: "db3"}, false,
			"ERROR: Replication of 'db3' from the active master is not verified (it replicates from 'db2', not from 'db1'). We can't set 'db3' online now. Please, wait some time or use set_online --force."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, now := steady(t, nil)
			if tt.setup != nil {
				tt.setup(m)
			}
			out := m.Step(now, tt.cmd)
			if out.Reply == nil || out.Reply.OK != tt.ok || out.Reply.Text != tt.reply {
				t.Errorf("reply %+v, want ok=%v %q", out.Reply, tt.ok, tt.reply)
			}
		})
	}
}

// TestForcedMoveRoleDemotes: the old owner whose replication lags is
// demoted to REPLICATION_DELAY and, in ACTIVE mode, loses its roles.
func TestForcedMoveRoleDemotes(t *testing.T) {
	m, now := steady(t, nil)
	m.st.Host("db2").State = StateReplicationFail
	failChecks(&m.st, "db2", CheckRepThreads)
	failChecks(&m.st, "db1", CheckRepBacklog)
	out := m.Step(now, Command{Op: OpMoveRole, Force: true, Role: "writer", Host: "db2"})
	if !out.Reply.OK {
		t.Fatal(out.Reply.Text)
	}
	if !strings.Contains(eventText(out), "State of host 'db1' changed from ONLINE to REPLICATION_DELAY (because of move_role --force)") {
		t.Errorf("events %q", eventText(out))
	}
	if m.st.Host("db1").State != StateReplicationDelay || len(m.st.HostRoles("db1")) != 0 {
		t.Errorf("db1 %s with roles %v", m.st.Host("db1").State, m.st.HostRoles("db1"))
	}
}
