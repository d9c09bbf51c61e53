package fsm

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2014, 5, 27, 12, 0, 0, 0, time.UTC)

// steady returns the reference cluster healthy and settled: every host
// ONLINE since t0, and the time ten minutes later (past every grace).
func steady(t *testing.T, mutate func(*Spec)) (*Machine, time.Time) {
	t.Helper()
	spec := seedSpec()
	if mutate != nil {
		mutate(&spec)
	}
	m, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range seedObservations() {
		m.Step(t0, in)
	}
	m.Step(t0, Start{})
	now := t0.Add(10 * time.Minute)
	m.Step(now, Tick{})
	return m, now
}

// failChecks stores failures of checks on host, as a trapped report would.
func failChecks(st *State, host string, checks ...Check) {
	for _, c := range checks {
		cs := st.Host(host).check(c)
		cs.OK, cs.Trap, cs.Message = false, TrapReported, "ERROR: test"
	}
}

// TestHostRules tests every transition rule alone: the host is put into
// the situation, one evaluation runs, and the named rule must be the one
// that fired, with its state and log line.
func TestHostRules(t *testing.T) {
	tests := []struct {
		name  string
		rule  string // "" = no rule may fire
		host  string
		spec  func(*Spec)
		setup func(st *State, now time.Time)
		want  HostState
		event string // a substring of the events ("" = no events)
	}{
		{"mysql down", "online/hard-offline", "db3", nil,
			func(st *State, _ time.Time) { failChecks(st, "db3", CheckMySQL) },
			StateHardOffline, "changed from ONLINE to HARD_OFFLINE (ping: OK, mysql: not OK)"},
		{"active master's replication is ignored but reported", "online/active-master", "db1", nil,
			func(st *State, _ time.Time) { failChecks(st, "db1", CheckRepThreads) },
			StateOnline, "Replication on active master 'db1' from its peer 'db2' is broken"},
		{"deliberately removed replication on the active master is not reported", "online/active-master", "db1", nil,
			func(st *State, _ time.Time) {
				failChecks(st, "db1", CheckRepThreads)
				st.Host("db1").check(CheckRepThreads).Message = "ERROR: Replication is not set up"
			},
			StateOnline, ""},
		{"peer ONLINE for less than 60 s", "online/peer-grace", "db3", nil,
			func(st *State, now time.Time) {
				failChecks(st, "db3", CheckRepThreads)
				st.Host("db1").OnlineSince = now.Add(-30 * time.Second)
			},
			StateOnline, ""},
		{"replication restarted by set_online", "online/restart-grace", "db3", nil,
			func(st *State, now time.Time) {
				failChecks(st, "db3", CheckRepThreads)
				st.Host("db3").ReplRestarted = now.Add(-10 * time.Second)
			},
			StateOnline, ""},
		{"replication broken", "online/replication-fail", "db3", nil,
			func(st *State, _ time.Time) { failChecks(st, "db3", CheckRepThreads, CheckRepBacklog) },
			StateReplicationFail, "changed from ONLINE to REPLICATION_FAIL"},
		{"replication lagging", "online/replication-delay", "db3", nil,
			func(st *State, _ time.Time) { failChecks(st, "db3", CheckRepBacklog) },
			StateReplicationDelay, "changed from ONLINE to REPLICATION_DELAY"},
		{"replication broken while the peer is down stays ONLINE", "", "db2", nil,
			func(st *State, _ time.Time) {
				failChecks(st, "db2", CheckRepThreads)
				st.Host("db1").State = StateHardOffline
			},
			StateOnline, ""},

		{"awaiting host down", "awaiting/hard-offline", "db3", nil,
			func(st *State, _ time.Time) {
				st.Host("db3").State = StateAwaitingRecovery
				failChecks(st, "db3", CheckPing)
			},
			StateHardOffline, "changed from AWAITING_RECOVERY to HARD_OFFLINE"},
		{"flapping host quiet for flap_duration", "awaiting/flapping-auto-online", "db3",
			func(s *Spec) { s.Timing.AutoSetOnline = time.Minute },
			func(st *State, now time.Time) {
				h := st.Host("db3")
				h.State, h.Flapping = StateAwaitingRecovery, true
				h.LastStateChange = now.Add(-2 * time.Hour)
				for i := range h.Checks {
					h.Checks[i].LastChange = now.Add(-61 * time.Minute)
				}
			},
			StateOnline, "State of flapping host 'db3' changed from AWAITING_RECOVERY to ONLINE because of auto_set_online and flap_duration(3600) seconds passed without another failure. It was in state AWAITING_RECOVERY for 7200 seconds"},
		{"flapping host without auto_set_online waits", "awaiting/flapping-stays", "db3", nil,
			func(st *State, _ time.Time) {
				h := st.Host("db3")
				h.State, h.Flapping = StateAwaitingRecovery, true
				h.LastUptime, h.Uptime = 1000, 1010 // the short-downtime rule would apply
			},
			StateAwaitingRecovery, ""},
		{"down for a short time", "awaiting/short-downtime", "db3", nil,
			func(st *State, _ time.Time) {
				h := st.Host("db3")
				h.State, h.LastUptime, h.Uptime = StateAwaitingRecovery, 1000, 1030
			},
			StateOnline, "changed from AWAITING_RECOVERY to ONLINE because it was down for only 30 seconds"},
		{"a former writer is not released by a short downtime", "", "db2", nil,
			func(st *State, _ time.Time) {
				h := st.Host("db2")
				h.State, h.LastUptime, h.Uptime, h.FormerWriter = StateAwaitingRecovery, 1000, 1030, true
			},
			StateAwaitingRecovery, ""},
		{"a rebooted host is not released by uptime", "", "db3", nil,
			func(st *State, _ time.Time) {
				h := st.Host("db3")
				h.State, h.LastUptime, h.Uptime = StateAwaitingRecovery, 1000, 20
			},
			StateAwaitingRecovery, ""},
		{"no release without verified replication", "", "db3", nil,
			func(st *State, _ time.Time) {
				h := st.Host("db3")
				h.State, h.LastUptime, h.Uptime, h.Follows = StateAwaitingRecovery, 1000, 1030, "db2"
			},
			StateAwaitingRecovery, ""},
		{"auto_set_online", "awaiting/auto-set-online", "db3",
			func(s *Spec) { s.Timing.AutoSetOnline = time.Minute },
			func(st *State, now time.Time) {
				h := st.Host("db3")
				h.State, h.LastStateChange = StateAwaitingRecovery, now.Add(-61*time.Second)
			},
			StateOnline, "because of auto_set_online(60 seconds). It was in state AWAITING_RECOVERY for 61 seconds"},

		{"a former writer waits in AWAITING_RECOVERY", "hard-offline/former-writer", "db2", nil,
			func(st *State, _ time.Time) {
				h := st.Host("db2")
				h.State, h.FormerWriter = StateHardOffline, true
				failChecks(st, "db2", CheckRepThreads)
			},
			StateAwaitingRecovery, "changed from HARD_OFFLINE to AWAITING_RECOVERY"},
		{"back with broken replication", "hard-offline/replication-fail", "db3", nil,
			func(st *State, _ time.Time) {
				st.Host("db3").State = StateHardOffline
				failChecks(st, "db3", CheckRepThreads)
			},
			StateReplicationFail, "changed from HARD_OFFLINE to REPLICATION_FAIL"},
		{"back lagging", "hard-offline/replication-delay", "db3", nil,
			func(st *State, _ time.Time) {
				st.Host("db3").State = StateHardOffline
				failChecks(st, "db3", CheckRepBacklog)
			},
			StateReplicationDelay, "changed from HARD_OFFLINE to REPLICATION_DELAY"},
		{"back healthy", "hard-offline/awaiting-recovery", "db3", nil,
			func(st *State, _ time.Time) { st.Host("db3").State = StateHardOffline },
			StateAwaitingRecovery, "changed from HARD_OFFLINE to AWAITING_RECOVERY"},
		{"no active master: a master skips the replication checks", "hard-offline/awaiting-recovery", "db2", nil,
			func(st *State, _ time.Time) {
				st.Host("db2").State = StateHardOffline
				st.role("writer").IPs[0].Host = ""
				failChecks(st, "db2", CheckRepThreads)
			},
			StateAwaitingRecovery, "changed from HARD_OFFLINE to AWAITING_RECOVERY"},
		{"still down", "", "db3", nil,
			func(st *State, _ time.Time) {
				st.Host("db3").State = StateHardOffline
				failChecks(st, "db3", CheckMySQL)
			},
			StateHardOffline, ""},

		{"threads run again but lag", "replication-fail/delay", "db3", nil,
			func(st *State, _ time.Time) {
				st.Host("db3").State = StateReplicationFail
				failChecks(st, "db3", CheckRepBacklog)
			},
			StateReplicationDelay, "changed from REPLICATION_FAIL to REPLICATION_DELAY"},
		{"lagging host's threads stop", "replication-delay/fail", "db3", nil,
			func(st *State, _ time.Time) {
				st.Host("db3").State = StateReplicationDelay
				failChecks(st, "db3", CheckRepThreads, CheckRepBacklog)
			},
			StateReplicationFail, "changed from REPLICATION_DELAY to REPLICATION_FAIL"},
		{"a flapping host recovers into AWAITING_RECOVERY", "replication/flapping", "db3", nil,
			func(st *State, _ time.Time) {
				h := st.Host("db3")
				h.State, h.Flapping = StateReplicationFail, true
			},
			StateAwaitingRecovery, "changed from REPLICATION_FAIL to AWAITING_RECOVERY (because it's flapping)"},
		{"replication healthy and verified", "replication/online", "db3", nil,
			func(st *State, _ time.Time) { st.Host("db3").State = StateReplicationDelay },
			StateOnline, "changed from REPLICATION_DELAY to ONLINE"},
		{"peer not ONLINE: MMM's bypass", "replication/online", "db2", nil,
			func(st *State, _ time.Time) {
				st.Host("db2").State = StateReplicationFail
				st.Host("db1").State = StateHardOffline
				failChecks(st, "db2", CheckRepThreads)
			},
			StateOnline, "changed from REPLICATION_FAIL to ONLINE"},
		{"healthy threads, wrong master: not verified", "", "db3", nil,
			func(st *State, _ time.Time) {
				h := st.Host("db3")
				h.State, h.Follows = StateReplicationFail, "db2"
			},
			StateReplicationFail, ""},
		{"replication host goes down", "replication/hard-offline", "db3", nil,
			func(st *State, _ time.Time) {
				st.Host("db3").State = StateReplicationDelay
				failChecks(st, "db3", CheckPing)
			},
			StateHardOffline, "changed from REPLICATION_DELAY to HARD_OFFLINE (ping: not OK, mysql: OK)"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, now := steady(t, tt.spec)
			tt.setup(&m.st, now)
			s := &step{spec: &m.spec, st: &m.st, now: now}
			h := m.st.Host(tt.host)
			if got := s.newHostCtx(h, s.activeMaster()).evaluate(); got != tt.rule {
				t.Fatalf("rule %q fired, want %q", got, tt.rule)
			}
			if h.State != tt.want {
				t.Errorf("state %s, want %s", h.State, tt.want)
			}
			text := eventText(s.out)
			if tt.event == "" && text != "" || !strings.Contains(text, tt.event) {
				t.Errorf("events %q, want %q", text, tt.event)
			}
		})
		covered[tt.rule] = true
	}
	for _, r := range hostRules {
		if !covered[r.name] {
			t.Errorf("rule %q has no test", r.name)
		}
	}
}

func eventText(out Output) string {
	var lines []string
	for _, e := range out.Events {
		lines = append(lines, e.String())
	}
	return strings.Join(lines, "\n")
}

// TestFailureSideEffects tests what follows a failure transition in each
// mode: roles cleared and the kill hook (ACTIVE), roles kept and no kill
// (MANUAL), nothing at all (PASSIVE).
func TestFailureSideEffects(t *testing.T) {
	tests := []struct {
		mode      string
		roles     bool // db1 keeps its roles
		kill      bool
		fromRepl  bool // fail from REPLICATION_DELAY instead of ONLINE
		wantEvent string
	}{
		{mode: "ACTIVE", kill: true, wantEvent: "Can't send offline status notification to 'db1' - killing it!"},
		{mode: "MANUAL", roles: true},
		{mode: "WAIT", roles: true},
		{mode: "PASSIVE", roles: true},
		{mode: "MANUAL", roles: true, fromRepl: true},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			m, now := steady(t, nil)
			mode, _ := ParseModeName(tt.mode)
			m.st.Mode = mode
			m.spec.Timing.WaitForOtherMaster = 0 // stay in WAIT
			if tt.fromRepl {
				m.st.Host("db1").State = StateReplicationDelay
			}
			failChecks(&m.st, "db1", CheckPing)
			out := m.Step(now, Tick{})
			if got := len(m.st.HostRoles("db1")) > 0; got != tt.roles {
				t.Errorf("db1 keeps roles: %v, want %v", got, tt.roles)
			}
			kill := false
			for _, a := range out.Actions {
				if a, ok := a.(KillHost); ok && a.Host == "db1" && !a.Ping {
					kill = true
				}
			}
			if kill != tt.kill {
				t.Errorf("kill: %v, want %v (%v)", kill, tt.kill, out.Actions)
			}
			if tt.wantEvent != "" && !strings.Contains(eventText(out), tt.wantEvent) {
				t.Errorf("events %q lack %q", eventText(out), tt.wantEvent)
			}
			if !m.st.Host("db1").FormerWriter {
				t.Error("db1 failed as the active master but is not marked a former writer")
			}
		})
	}
}

// TestFlapWindow checks MMM's window: anchored at the first failure,
// flapping on failure flap_count+1 within flap_duration, a new window
// after it expired, no counting into ADMIN_OFFLINE.
func TestFlapWindow(t *testing.T) {
	m, now := steady(t, func(s *Spec) { s.Timing.FlapCount = 2; s.Timing.FlapDuration = time.Hour })
	s := &step{spec: &m.spec, st: &m.st, now: now}
	h := m.st.Host("db3")
	flap := func(at time.Duration, to HostState) {
		s.now = now.Add(at)
		h.State = StateOnline
		s.setState(h, to)
	}
	flap(0, StateReplicationFail)
	flap(10*time.Minute, StateAdminOffline) // not counted
	flap(20*time.Minute, StateHardOffline)
	if h.Flapping || h.FlapCount != 2 {
		t.Fatalf("after 2 failures: flapping %v count %d", h.Flapping, h.FlapCount)
	}
	flap(61*time.Minute, StateReplicationDelay) // the window opened at 0 has expired
	if h.Flapping || h.FlapCount != 1 || !h.FlapStart.Equal(now.Add(61*time.Minute)) {
		t.Fatalf("new window: flapping %v count %d start %v", h.Flapping, h.FlapCount, h.FlapStart)
	}
	flap(62*time.Minute, StateHardOffline)
	flap(63*time.Minute, StateHardOffline)
	if !h.Flapping || !h.FlapStart.IsZero() {
		t.Fatalf("3rd failure within the window: flapping %v start %v", h.Flapping, h.FlapStart)
	}
	if !strings.Contains(eventText(s.out), "Host db3 is flapping!") {
		t.Errorf("events %q", eventText(s.out))
	}
	m.spec.Timing.FlapCount = 0
	h.Flapping, h.FlapCount = false, 0
	for i := range 5 {
		flap(time.Duration(70+i)*time.Minute, StateHardOffline)
	}
	if h.Flapping || h.FlapCount != 0 {
		t.Errorf("flap_count 0 disables detection: flapping %v count %d", h.Flapping, h.FlapCount)
	}
}

// TestNoWriterRole: a cluster of readers only (no active_master_role)
// runs; WAIT mode has nothing to wait for.
func TestNoWriterRole(t *testing.T) {
	m, now := steady(t, func(s *Spec) {
		s.ActiveMasterRole = ""
		s.Roles = s.Roles[1:]
		s.Timing.Mode = 3 // WAIT
	})
	if m.st.Mode != 1 {
		t.Errorf("mode %s, want ACTIVE", ModeName(m.st.Mode))
	}
	failChecks(&m.st, "db1", CheckMySQL)
	out := m.Step(now, Tick{})
	if got := eventText(out); !strings.Contains(got, "Orphaned role 'reader(198.18.0.101)'") {
		t.Errorf("events %q", got)
	}
	for _, a := range out.Actions {
		if _, ok := a.(Promote); ok {
			t.Errorf("a promotion without a writer role: %v", out.Actions)
		}
	}
}
