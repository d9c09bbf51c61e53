package fsm

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestActionsNameTheirHost(t *testing.T) {
	ip := netip.MustParseAddr("198.18.0.101")
	for _, tt := range []struct {
		a    Action
		want string
	}{
		{CloseWriter{"db1"}, "close-writer db1"},
		{Fence{"db1"}, "fence db1"},
		{KillHost{"db1", true}, "kill-host db1 ping=1"},
		{SetReaderVIPs{"db1", []netip.Addr{ip}}, "reader-vips db1 198.18.0.101"},
		{SetReaderVIPs{Host: "db1"}, "reader-vips db1 none"},
		{CatchUp{Host: "db1", Previous: "db2", Target: Position{"0": 7}, Sources: []string{"db3"}}, "catch-up db1 previous db2 target 0:7 sources db3"},
		{CatchUp{Host: "db1"}, "catch-up db1"},
		{Promote{"db1", "db2"}, "promote db1 previous db2"},
		{Promote{Host: "db1"}, "promote db1"},
		{OpenWriter{"db1"}, "open-writer db1"},
		{Repoint{"db1", "db2"}, "repoint db1 to db2"},
		{StartReplication{"db1", "db2"}, "start-replication db1 from db2"},
		{StopReplication{"db1"}, "stop-replication db1"},
	} {
		if tt.a.String() != tt.want || tt.a.Subject() != "db1" {
			t.Errorf("%q (subject %s), want %q", tt.a, tt.a.Subject(), tt.want)
		}
	}
	if got := (Event{LevelInfo, "x"}).String(); got != " INFO x" {
		t.Errorf("event %q", got)
	}
}

func TestPending(t *testing.T) {
	m, now := steady(t, nil)
	m.Step(now, Follows{Host: "db3", Master: ""})
	var got []string
	for _, a := range m.Pending() {
		got = append(got, a.String())
	}
	want := []string{"close-writer db2",
		"reader-vips db1 198.18.0.101", "reader-vips db2 198.18.0.102", "reader-vips db3 198.18.0.103",
		"catch-up db1", "promote db1", "open-writer db1", "repoint db3 to db1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("pending:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m.Step(now, Command{Op: OpSetPassive})
	if m.Pending() != nil {
		t.Error("Pending in PASSIVE")
	}
}

// TestReplNeed is the table of replication repairs: repaired, not only
// repointed.
func TestReplNeed(t *testing.T) {
	tests := []struct {
		name         string
		host         string
		setup        func(*State)
		kind, master string
	}{
		{"healthy replica", "db3", nil, "", ""},
		{"the active master itself", "db1", func(st *State) { st.Host("db1").Follows = "" }, "", ""},
		{"the active master, its peer back: restart", "db1", func(st *State) {
			st.Host("db1").RingStopped = true
			st.Host("db2").State = StateAwaitingRecovery
			failChecks(st, "db1", CheckRepThreads)
		}, replStart, "db2"},
		{"the active master, its peer back but lagging", "db1", func(st *State) {
			st.Host("db1").RingStopped = true
			st.Host("db2").State = StateAwaitingRecovery
			failChecks(st, "db1", CheckRepThreads)
			failChecks(st, "db2", CheckRepBacklog)
		}, "", ""},
		{"the active master, its peer ONLINE after a switchover: restart", "db1", func(st *State) {
			st.Host("db1").RingStopped = true
			failChecks(st, "db1", CheckRepThreads)
		}, replStart, "db2"},
		{"the active master, broken by a fault: restart", "db1", func(st *State) {
			failChecks(st, "db1", CheckRepThreads)
		}, replStart, "db2"},
		{"the active master, replication removed on purpose: leave it", "db1", func(st *State) {
			failChecks(st, "db1", CheckRepThreads)
			st.Host("db1").check(CheckRepThreads).Message = "ERROR: Replication is not set up"
		}, "", ""},
		{"the active master, its peer ONLINE but lagging", "db1", func(st *State) {
			st.Host("db1").RingStopped = true
			failChecks(st, "db1", CheckRepThreads)
			failChecks(st, "db2", CheckRepBacklog)
		}, "", ""},
		{"the active master, its peer ADMIN_OFFLINE: leave it", "db1", func(st *State) {
			st.Host("db1").RingStopped = true
			st.Host("db2").State = StateAdminOffline
			failChecks(st, "db1", CheckRepThreads)
		}, "", ""},
		{"follows the old master", "db3", func(st *State) { st.Host("db3").Follows = "db2" }, replRepoint, "db1"},
		{"follows nobody", "db3", func(st *State) { st.Host("db3").Follows = "" }, replRepoint, "db1"},
		{"threads stopped", "db3", func(st *State) { failChecks(st, "db3", CheckRepThreads) }, replStart, "db1"},
		{"only lagging: wait", "db3", func(st *State) { failChecks(st, "db3", CheckRepBacklog) }, "", ""},
		{"down: leave it", "db3", func(st *State) {
			st.Host("db3").Follows = ""
			failChecks(st, "db3", CheckMySQL)
		}, "", ""},
		{"HARD_OFFLINE: leave it", "db3", func(st *State) {
			st.Host("db3").State, st.Host("db3").Follows = StateHardOffline, ""
		}, "", ""},
		{"ADMIN_OFFLINE still replicating", "db3", func(st *State) { st.Host("db3").State = StateAdminOffline }, replStop, ""},
		{"ADMIN_OFFLINE stopped", "db3", func(st *State) {
			st.Host("db3").State = StateAdminOffline
			failChecks(st, "db3", CheckRepThreads)
		}, "", ""},
		{"no active master", "db3", func(st *State) {
			st.role("writer").IPs[0].Host = ""
			st.Host("db3").Follows = ""
		}, "", ""},
	}
	for _, tt := range tests {
		m, now := steady(t, nil)
		if tt.setup != nil {
			tt.setup(&m.st)
		}
		s := &step{spec: &m.spec, st: &m.st, now: now}
		kind, master := s.replNeed(m.st.Host(tt.host), s.activeMaster())
		if kind != tt.kind || master != tt.master {
			t.Errorf("%s: %q %q, want %q %q", tt.name, kind, master, tt.kind, tt.master)
		}
	}
}

// TestObservationsBeforeStartAndInPassive: writable masters and VRRP
// claims are only stored before startup and in PASSIVE, and unknown
// hosts are ignored.
func TestObservationsBeforeStartAndInPassive(t *testing.T) {
	m, err := New(seedSpec())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []Input{Writable{"db2", true}, VRRP{"db2", VRRPMaster}, Writable{"db9", true},
		VRRP{"db9", VRRPMaster}, Follows{"db9", "db1"}, Uptime{"db9", 1}, VIPs{Host: "db9"}, GTID{Host: "db9"},
		Reachability{"db9", false}} {
		if out := m.Step(t0, in); len(out.Events)+len(out.Actions) > 0 {
			t.Errorf("%#v before startup: %v", in, out)
		}
	}
	m2, now := steady(t, nil)
	m2.Step(now, Command{Op: OpSetPassive})
	for _, in := range []Input{Writable{"db2", true}, VRRP{"db2", VRRPMaster}} {
		if out := m2.Step(now, in); len(out.Events)+len(out.Actions) > 0 {
			t.Errorf("%#v in PASSIVE: %v", in, out)
		}
	}
	m3, now := steady(t, nil)
	out := m3.Step(now, VRRP{"db2", VRRPMaster})
	if got := eventText(out); !strings.Contains(got, "keepalived on host 'db2' reports MASTER but the active master is 'db1'") ||
		len(out.Actions) != 1 || out.Actions[0] != (CloseWriter{"db2"}) {
		t.Errorf("VRRP MASTER on the passive master: %q %v", got, out.Actions)
	}
	if out := m3.Step(now, Writable{"db3", true}); len(out.Actions) > 0 {
		t.Errorf("a writable slave is not fenced (it is not a master): %v", out.Actions)
	}
}

// TestRingStoppedLifecycle: a promotion with a previous writer marks the
// ring stopped; the flag goes once the restart it asked for took effect,
// so that a later stop by someone else is only reported.
func TestRingStoppedLifecycle(t *testing.T) {
	m, now := steady(t, nil)
	db1 := m.st.Host("db1")
	db1.RingStopped = true
	failChecks(&m.st, "db1", CheckRepThreads)
	s := &step{spec: &m.spec, st: &m.st, now: now}
	if kind, master := s.replNeed(db1, s.activeMaster()); kind != replStart || master != "db2" {
		t.Fatalf("ring stopped, peer ONLINE: %q %q, want a restart from db2", kind, master)
	}
	db1.Repl = ReplIntent{Kind: replStart, Master: "db2", At: now}
	db1.Checks[CheckRepThreads-1].OK = true
	if kind, _ := s.replNeed(db1, s.activeMaster()); kind != "" || db1.RingStopped {
		t.Fatalf("after the restart took effect: %q, RingStopped %v; want nothing and the flag cleared", kind, db1.RingStopped)
	}
}

// TestRingAfterBackToBackSwitchovers: after a switchover the new writer's
// replication from the old one, which Promote stopped, is started
// again, also when the new writer was promoted while the restart of its
// replication as the passive master was still unverified (two switchovers
// in a row, the mmmctl lab suite). That older StartReplication is not the
// ring's restart: it must neither stand in for it nor, seen OK through a
// check result taken before Promote, mark the ring as running again. A
// small world runs the actions on the masters' replication threads; the
// rep_threads results reach the machine one step late, as the monitor's
// do. In the end the passive master can be set offline and online again.
func TestRingAfterBackToBackSwitchovers(t *testing.T) {
	for _, tt := range []struct {
		name string
		// restarting: db2's own replication was stopped and its restart
		// requested, not yet seen OK, when the writer role moves to it.
		restarting bool
	}{
		{"the passive master replicating when promoted", false},
		{"the passive master's restart unverified when promoted", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, now := steady(t, nil)
			// db1 became the writer moments ago: its own replication is
			// stopped, its rep_threads failure not yet past trap_period.
			running := map[string]bool{"db1": false, "db2": true}
			db1 := m.st.Host("db1")
			db1.RingStopped, db1.OnlineSince = true, now.Add(-3*time.Second)
			if tt.restarting {
				failChecks(&m.st, "db2", CheckRepThreads)
				m.st.Host("db2").Repl = ReplIntent{Kind: replStart, Master: "db1", At: now.Add(-time.Second)}
			}
			seen := maps.Clone(running) // what the next rep_threads results say
			var after []Action          // actions from the promotion on
			promoted := false
			step := func(in Input) Output {
				out := m.Step(now, in)
				for _, a := range out.Actions {
					switch a := a.(type) {
					case Promote:
						running[a.Host], promoted = false, true
					case StartReplication:
						running[a.Host] = true
					}
					if promoted {
						after = append(after, a)
					}
				}
				return out
			}
			probe := func(host string) {
				r, msg := ResultOK, "OK"
				if !seen[host] {
					r, msg = ResultFailed, "ERROR: Replication is broken"
				}
				step(Probe{Host: host, Check: CheckRepThreads, Result: r, Message: msg})
			}
			if out := step(Command{Op: OpMoveRole, Role: "writer", Host: "db2"}); out.Reply == nil || !out.Reply.OK {
				t.Fatalf("move_role writer db2: %+v", out.Reply)
			}
			for range 15 { // the checks' results, one step late
				now = now.Add(time.Second)
				probe("db2")
				seen = maps.Clone(running)
			}
			if !slices.Contains(after, Action(StartReplication{Host: "db2", Master: "db1"})) {
				t.Errorf("the ring was not restarted after the promotion: actions %v", after)
			}
			if !running["db2"] {
				t.Errorf("db2's replication from db1 stopped 15 s after its promotion; RingStopped %v, Repl %+v",
					m.st.Host("db2").RingStopped, m.st.Host("db2").Repl)
			}
			for _, c := range []Command{{Op: OpSetOffline, Host: "db1"}, {Op: OpSetOnline, Host: "db1"}} {
				if out := step(c); out.Reply == nil || !out.Reply.OK {
					t.Errorf("%s: %+v", c, out.Reply)
				}
			}
		})
	}
}

// TestRingStoppedSurvivesRepromotion: a writer promoted after a failover
// (its replication from the dead old writer stopped) that loses the role
// while its own agent is away, and gets it back while the old writer is
// still down, still has that replication to restart: without it, the
// old writer's set_online was refused for good ("Some replication checks
// failed on peer").
func TestRingStoppedSurvivesRepromotion(t *testing.T) {
	m, now := steady(t, nil)
	fail := func(at time.Time, host string) {
		for _, d := range []time.Duration{0, 10 * time.Second} {
			m.Step(at.Add(d), Probe{Host: host, Check: CheckMySQL, Result: ResultFailed, Message: "ERROR: Connect error"})
		}
	}
	fail(now, "db1")
	if w := m.st.Owner("writer"); w != "db2" || !m.st.Host("db2").RingStopped {
		t.Fatalf("after db1 failed: writer %q, db2 ring stopped %v", w, m.st.Host("db2").RingStopped)
	}
	at := now.Add(20 * time.Second)
	m.Step(at, Reachability{Host: "db2", Reachable: false})
	if w := m.st.Owner("writer"); w == "db2" {
		t.Fatalf("db2's agent away: still writer")
	}
	m.Step(at.Add(5*time.Second), Reachability{Host: "db2", Reachable: true})
	if w := m.st.Owner("writer"); w != "db2" {
		t.Fatalf("db2's agent back: writer %q", w)
	}
	if !m.st.Host("db2").RingStopped {
		t.Error("promoted again: the stopped ring was forgotten")
	}
}

// TestReenabledWriterRestartsItsRing: a writer its own side fenced (it
// lost its lease, and its self-fence also stopped its replication from
// its peer) that keeps the role gets its writes back and then, once its
// replication reads stopped, the ring's restart — not MMM's "ignoring
// it" of a broken active master's replication.
func TestReenabledWriterRestartsItsRing(t *testing.T) {
	m, now := steady(t, nil)
	out := m.Step(now, Writable{Host: "db1", Writable: false})
	if !slices.Contains(out.Actions, Action(Promote{Host: "db1"})) {
		t.Fatalf("writer fenced by its own side: actions %v, want its writes enabled again", out.Actions)
	}
	if !m.st.Host("db1").RingStopped {
		t.Fatal("re-enabled writer: its ring is not to be restarted")
	}
	var acts []Action
	for _, d := range []time.Duration{time.Second, 12 * time.Second} {
		acts = append(acts, m.Step(now.Add(d), Probe{Host: "db1", Check: CheckRepThreads, Result: ResultFailed, Message: "ERROR: Replication is broken"}).Actions...)
	}
	if !slices.Contains(acts, Action(StartReplication{Host: "db1", Master: "db2"})) {
		t.Errorf("its replication from db2 stopped: actions %v, want it restarted", acts)
	}
}
