package fsm

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTrap replays MMM's checker trap for one host×check: each
// result at a time offset, then the stored status and the log.
func TestTrap(t *testing.T) {
	type probe struct {
		at  time.Duration
		res Result
	}
	tests := []struct {
		name   string
		trap   time.Duration
		probes []probe
		wantOK bool
		log    []string // substrings, in order; nil = no events
	}{
		{"a failure is reported after trap_period", 10 * time.Second,
			[]probe{{0, ResultFailed}, {5 * time.Second, ResultFailed}, {10 * time.Second, ResultFailed}},
			false, []string{"has failed for 10 seconds! Message: FAILED"}},
		{"shorter failures recover silently", 10 * time.Second,
			[]probe{{0, ResultFailed}, {5 * time.Second, ResultFailed}, {6 * time.Second, ResultOK}},
			true, nil},
		{"an UNKNOWN restarts the trap", 10 * time.Second,
			[]probe{{0, ResultFailed}, {5 * time.Second, ResultUnknown}, {9 * time.Second, ResultFailed},
				{15 * time.Second, ResultFailed}},
			true, []string{"is in unknown state! Message: UNKNOWN"}},
		{"trap_period 0 reports the first failure", 0,
			[]probe{{0, ResultFailed}},
			false, []string{"has failed for 0 seconds!"}},
		{"reported once, recovered once", 0,
			[]probe{{0, ResultFailed}, {1 * time.Second, ResultFailed}, {2 * time.Second, ResultOK},
				{3 * time.Second, ResultOK}},
			true, []string{"has failed for 0 seconds!", "Check 'mysql' on 'db3' is ok!"}},
		{"UNKNOWN twice warns once, keeps the status", 0,
			[]probe{{0, ResultUnknown}, {1 * time.Second, ResultUnknown}},
			true, []string{"in unknown state"}},
		// MMM's silent recovery assumes the stored result is OK; here it
		// is the reported failure, so MMM would keep it for good (seen
		// in the lab: a master's rep_threads stuck failed after a
		// network outage, set_online refused while replication ran).
		{"a short failure after a reported one and an UNKNOWN recovers loudly", 10 * time.Second,
			[]probe{{0, ResultFailed}, {10 * time.Second, ResultFailed}, {11 * time.Second, ResultUnknown},
				{12 * time.Second, ResultFailed}, {13 * time.Second, ResultOK}, {14 * time.Second, ResultOK}},
			true, []string{"has failed for 10 seconds!", "in unknown state", "Check 'mysql' on 'db3' is ok!"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, now := steady(t, func(s *Spec) { s.TrapPeriod[CheckMySQL] = tt.trap })
			s := &step{spec: &m.spec, st: &m.st}
			for _, p := range tt.probes {
				s.now = now.Add(p.at)
				s.probe(Probe{Host: "db3", Check: CheckMySQL, Result: p.res, Message: strings.ToUpper(p.res.String())})
			}
			if got := m.st.Host("db3").ok(CheckMySQL); got != tt.wantOK {
				t.Errorf("stored OK = %v, want %v", got, tt.wantOK)
			}
			if len(s.out.Events) != len(tt.log) {
				t.Fatalf("events %q, want %d", eventText(s.out), len(tt.log))
			}
			for i, want := range tt.log {
				if !strings.Contains(s.out.Events[i].Text, want) {
					t.Errorf("event %d %q lacks %q", i, s.out.Events[i].Text, want)
				}
			}
		})
	}
}

// TestTrapOKOverStoredFailure: a state kept by a version with the
// silent-recovery flaw (trap OK, a failure stored) heals at the next OK.
func TestTrapOKOverStoredFailure(t *testing.T) {
	m, now := steady(t, nil)
	c := m.st.Host("db3").check(CheckRepThreads)
	c.store(false, "ERROR: Replication is broken", now)
	c.Trap = TrapOK
	s := &step{spec: &m.spec, st: &m.st, now: now.Add(time.Second)}
	s.probe(Probe{Host: "db3", Check: CheckRepThreads, Result: ResultOK})
	if !m.st.Host("db3").ok(CheckRepThreads) {
		t.Errorf("rep_threads still stored failed after an OK")
	}
	if len(s.out.Events) != 1 || !strings.Contains(s.out.Events[0].Text, "Check 'rep_threads' on 'db3' is ok!") {
		t.Errorf("events %q, want the recovery logged", eventText(s.out))
	}
}

func TestProbeIgnoresGarbage(t *testing.T) {
	m, now := steady(t, nil)
	before := m.State()
	for _, p := range []Probe{
		{Host: "db9", Check: CheckPing, Result: ResultFailed},
		{Host: "db1", Check: CheckInvalid, Result: ResultFailed},
		{Host: "db1", Check: Check(9), Result: ResultFailed},
		{Host: "db1", Check: CheckPing, Result: ResultInvalid},
	} {
		if out := m.Step(now, p); len(out.Events)+len(out.Actions) > 0 {
			t.Errorf("%+v: %v", p, out)
		}
	}
	if got := m.State(); !equalStates(got, before) {
		t.Error("garbage probes changed the state")
	}
}

func equalStates(a, b State) bool {
	x, _ := a.Marshal()
	y, _ := b.Marshal()
	return string(x) == string(y)
}

// TestEvidence covers the fast path: definitive evidence fails mysql at
// once; stale evidence (older than the newest OK probe) and evidence for
// a check already reported do nothing.
func TestEvidence(t *testing.T) {
	m, now := steady(t, nil)
	m.Step(now, Probe{Host: "db3", Check: CheckMySQL, Result: ResultOK, Message: "OK"})
	stale := Evidence{Host: "db3", Kind: EvidenceProcessExited, Observed: now.Add(-time.Second)}
	if out := m.Step(now.Add(time.Second), stale); len(out.Events) > 0 || !m.st.Host("db3").ok(CheckMySQL) {
		t.Fatalf("stale evidence acted: %v", out.Events)
	}
	for _, bad := range []Evidence{{Host: "db9", Kind: EvidenceSocketRefused}, {Host: "db3"}} {
		if out := m.Step(now.Add(time.Second), bad); len(out.Events) > 0 {
			t.Fatalf("%+v acted: %v", bad, out.Events)
		}
	}
	out := m.Step(now.Add(2*time.Second), Evidence{Host: "db3", Kind: EvidenceSocketRefused})
	if m.st.Host("db3").State != StateHardOffline {
		t.Fatalf("db3 is %s after evidence; events %q", m.st.Host("db3").State, eventText(out))
	}
	want := "ERROR: mysqld is not running: connection refused on its local socket, reported by the host's coordinator"
	if got := m.st.Host("db3").check(CheckMySQL).Message; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if out := m.Step(now.Add(3*time.Second), Evidence{Host: "db3", Kind: EvidenceProcessExited}); len(out.Events) > 0 {
		t.Errorf("repeated evidence logged again: %q", eventText(out))
	}
}

// TestEvidenceOrdersProbes: results count by when they were measured,
// not when they arrived. An OK mysql probe that began before mysqld was
// seen gone (it answered, then mysqld died, and the result came in
// after the evidence) does not bring the host back; one that began
// after does. Evidence observed before an OK probe began is stale.
func TestEvidenceOrdersProbes(t *testing.T) {
	m, now := steady(t, nil)
	killed := now.Add(time.Second)
	m.Step(killed.Add(10*time.Millisecond), Evidence{Host: "db3", Kind: EvidenceSocketRefused, Observed: killed})
	if st := m.st.Host("db3").State; st != StateHardOffline {
		t.Fatalf("db3 is %s after evidence", st)
	}
	late := Probe{Host: "db3", Check: CheckMySQL, Result: ResultOK, Message: "OK", Started: killed.Add(-300 * time.Millisecond)}
	if out := m.Step(killed.Add(300*time.Millisecond), late); len(out.Events) > 0 || m.st.Host("db3").ok(CheckMySQL) {
		t.Fatalf("an OK measured before the evidence acted: %q", eventText(out))
	}
	back := Probe{Host: "db3", Check: CheckMySQL, Result: ResultOK, Message: "OK", Started: killed.Add(5 * time.Second)}
	m.Step(killed.Add(5*time.Second+10*time.Millisecond), back)
	if !m.st.Host("db3").ok(CheckMySQL) {
		t.Fatal("an OK measured after the evidence did not count")
	}
	old := Evidence{Host: "db3", Kind: EvidenceSocketRefused, Observed: killed.Add(4 * time.Second)}
	if out := m.Step(killed.Add(6*time.Second), old); len(out.Events) > 0 || !m.st.Host("db3").ok(CheckMySQL) {
		t.Errorf("evidence observed before the last OK began acted: %q", eventText(out))
	}
}

// TestInitialChecks: before startup a result is stored as it is, UNKNOWN
// and errors as failures; checks never reported fail at Start.
func TestInitialChecks(t *testing.T) {
	m, err := New(seedSpec())
	if err != nil {
		t.Fatal(err)
	}
	m.Step(t0, Probe{Host: "db1", Check: CheckPing, Result: ResultOK, Message: "OK"})
	m.Step(t0, Probe{Host: "db1", Check: CheckMySQL, Result: ResultUnknown, Message: "UNKNOWN: x"})
	m.Step(t0, Probe{Host: "db2", Check: CheckMySQL, Result: ResultFailed, Message: "ERROR: y"})
	out := m.Step(t0, Evidence{Host: "db3", Kind: EvidenceProcessExited})
	if len(out.Events) != 1 {
		t.Errorf("evidence before startup: %q", eventText(out))
	}
	st := m.State()
	for _, c := range []struct {
		host string
		c    Check
		ok   bool
	}{{"db1", CheckPing, true}, {"db1", CheckMySQL, false}, {"db2", CheckMySQL, false}, {"db3", CheckMySQL, false}} {
		if cs := st.Host(c.host).check(c.c); !cs.Known || cs.OK != c.ok {
			t.Errorf("%s %s: %+v", c.host, c.c, cs)
		}
	}
	m.Step(t0.Add(time.Second), Start{})
	st = m.State()
	cs := st.Host("db2").check(CheckRepBacklog)
	if !cs.Known || cs.OK || cs.Message != "UNKNOWN: No result before startup" || !cs.LastChange.Equal(t0.Add(time.Second)) {
		t.Errorf("unreported check at startup: %+v", cs)
	}
	for _, h := range st.Hosts {
		if h.State != StateHardOffline {
			t.Errorf("%s is %s; its ping or mysql failed", h.Name, h.State)
		}
	}
	if out := m.Step(t0.Add(2*time.Second), Start{}); len(out.Events) > 0 {
		t.Errorf("a second Start ran again: %q", eventText(out))
	}
}

// TestHostLost: a failing ping of a host whose coordinator is silent
// (Reachability) is reported at once, in either order; ping OK with a
// silent coordinator is MMM's agent_down, not a lost host; a failing
// ping alone still waits for trap_period.
func TestHostLost(t *testing.T) {
	fail := Probe{Host: "db3", Check: CheckPing, Result: ResultFailed, Message: "ERROR: Could not ping"}
	ok := Probe{Host: "db3", Check: CheckPing, Result: ResultOK, Message: "OK"}
	down := Reachability{Host: "db3", Reachable: false}
	tests := []struct {
		name      string
		in        []Input
		wantState HostState
		wantAgent bool
	}{
		{"ping failing, then silent", []Input{fail, down}, StateHardOffline, false},
		{"silent (agent down: roles move), then ping failing", []Input{down, fail}, StateHardOffline, true},
		{"silent, ping OK: agent down", []Input{ok, down}, StateOnline, true},
		{"ping failing, coordinator answers: trap_period", []Input{fail}, StateOnline, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, now := steady(t, func(s *Spec) { s.TrapPeriod[CheckPing] = 10 * time.Second })
			var log []string
			for i, in := range tt.in {
				out := m.Step(now.Add(time.Duration(i)*100*time.Millisecond), in)
				log = append(log, eventText(out))
			}
			st := m.State()
			h := st.Host("db3")
			if h.State != tt.wantState || h.AgentDown != tt.wantAgent {
				t.Errorf("db3 %v agent_down=%v, want %v agent_down=%v; log %q", h.State, h.AgentDown, tt.wantState, tt.wantAgent, log)
			}
			lost := slices.ContainsFunc(log, func(l string) bool { return strings.Contains(l, "host lost (trap_period skipped)") })
			if lost != (tt.wantState == StateHardOffline) {
				t.Errorf("host-lost line logged = %v; log %q", lost, log)
			}
		})
	}
}

// TestCutOffWriterMustRejoin: a writer whose coordinator falls silent
// loses its roles (agent down) and then its ping: however it lost the
// writer role, it comes back needing a rejoin, and set_online waits for
// the runtime's word that it succeeded, although it still follows the
// new writer as the ring had it and every check passes.
func TestCutOffWriterMustRejoin(t *testing.T) {
	m, now := steady(t, nil)
	m.Step(now, Reachability{Host: "db1", Reachable: false})
	if !m.st.Host("db1").MustRejoin || m.st.Owner("writer") == "db1" {
		t.Fatalf("agent down on the writer: must rejoin %v, writer %q", m.st.Host("db1").MustRejoin, m.st.Owner("writer"))
	}
	at := now.Add(time.Second)
	m.Step(at, Probe{Host: "db1", Check: CheckPing, Result: ResultFailed, Message: "ERROR: Could not ping"})
	if st := m.st.Host("db1").State; st != StateHardOffline {
		t.Fatalf("db1 is %s", st)
	}
	back := at.Add(20 * time.Second)
	for _, in := range []Input{Probe{Host: "db1", Check: CheckPing, Result: ResultOK, Message: "OK"},
		Reachability{Host: "db1", Reachable: true}, Follows{Host: "db1", Master: "db2"}} {
		m.Step(back, in)
	}
	if st := m.st.Host("db1").State; st != StateAwaitingRecovery {
		t.Fatalf("db1 back: %s", st)
	}
	if out := m.Step(back.Add(time.Second), Command{Op: OpSetOnline, Host: "db1"}); out.Reply == nil || out.Reply.OK {
		t.Fatalf("set_online before the rejoin: %+v", out.Reply)
	}
	// The new writer fails too: with no active master left, db1 would be
	// the next writer, and it may lack what db2 acknowledged.
	down := back.Add(time.Second)
	for _, d := range []time.Duration{0, 10 * time.Second} {
		m.Step(down.Add(d), Probe{Host: "db2", Check: CheckMySQL, Result: ResultFailed, Message: "ERROR: Connect error"})
	}
	if w := m.st.Owner("writer"); w != "" {
		t.Fatalf("writer %q after db2 failed", w)
	}
	if out := m.Step(down.Add(11*time.Second), Command{Op: OpSetOnline, Host: "db1"}); out.Reply == nil || out.Reply.OK {
		t.Fatalf("set_online with no active master, before the rejoin: %+v", out.Reply)
	}
	back = down.Add(11 * time.Second)
	m.Step(back.Add(2*time.Second), Refusal{Host: "db1"})
	if out := m.Step(back.Add(3*time.Second), Command{Op: OpSetOnline, Host: "db1"}); out.Reply == nil || !out.Reply.OK {
		t.Fatalf("set_online after the rejoin: %+v", out.Reply)
	}
}
