package fsm

import (
	"strings"
	"testing"
	"time"
)

func TestShow(t *testing.T) {
	m, now := steady(t, func(s *Spec) { s.Roles[0].Prefer = "db2" })
	if got := Show(m.Spec(), m.State()); !strings.HasSuffix(got, "# Role writer is assigned to it's preferred host db2.\n") {
		t.Errorf("prefer honoured:\n%s", got)
	}
	m.Step(now, Command{Op: OpSetPassive})
	st := m.State()
	st.PassiveInfo = "Conflicting roles during startup:\n  line two"
	st.Host("db3").AgentDown = true
	st.role("writer").IPs[0].Host = "db1"
	want := "# --- Monitor is in PASSIVE MODE ---\n" +
		"# Cause: Conflicting roles during startup:\n" +
		"#   line two\n" +
		"# Warning: agent on host db3 is not reachable\n" +
		"  db1(198.18.0.11) master/ONLINE. Roles: reader(198.18.0.101), writer(198.18.0.100)\n" +
		"  db2(198.18.0.12) master/ONLINE. Roles: reader(198.18.0.102)\n" +
		"  db3(198.18.0.13) slave/ONLINE. Roles: reader(198.18.0.103)\n" +
		"# Role writer has db2 configured as it's preferred host but is assigned to db1 at the moment.\n"
	if got := Show(m.Spec(), st); got != want {
		t.Errorf("show:\n%s\nwant:\n%s", got, want)
	}
	st.role("writer").IPs[0].Host = ""
	if got := Show(m.Spec(), st); !strings.HasSuffix(got, "# Role writer has db2 configured as it's preferred host.\n") {
		t.Errorf("orphaned preferred role:\n%s", got)
	}
}

func TestChecksReport(t *testing.T) {
	m, now := steady(t, nil)
	for _, at := range []time.Duration{0, 10 * time.Second} {
		m.Step(now.Add(at), Probe{Host: "db2", Check: CheckRepBacklog, Result: ResultFailed, Message: "ERROR: Backlog is too big"})
	}
	st := m.State()
	spec := m.Spec()
	spec.Hosts[0].Name = "db1-long" // the host column is padded to the longest name
	st.Hosts[0].Name = "db1-long"
	berlin := time.FixedZone("CEST", 2*3600)
	got, ok := ChecksReport(spec, st, "all", "rep_backlog", berlin)
	want := "db1-long  rep_backlog  [last change: 2014/05/27 14:00:00]  OK: Backlog is null\n" +
		"db2       rep_backlog  [last change: 2014/05/27 14:10:10]  ERROR: Backlog is too big\n" +
		"db3       rep_backlog  [last change: 2014/05/27 14:00:00]  OK: Backlog is null\n"
	if !ok || got != want {
		t.Errorf("checks all rep_backlog:\n%s\nwant:\n%s", got, want)
	}
	if _, ok := ChecksReport(spec, st, "db2", "", nil); !ok {
		t.Error("one host, all checks")
	}
}
