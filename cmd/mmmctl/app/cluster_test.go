package app_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/cmd/mmmctl/app"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

func TestStatus(t *testing.T) {
	e := newEnv(t)
	r := e.run(t, "status")
	want := `Node db1, leader db1, term 3, applied index 22, mode ACTIVE

MEMBER  ADDRESS           VOTER  LEADER
db1     198.18.0.11:9990  yes    *
db2     198.18.0.12:9990  yes    
db3     198.18.0.13:9990  yes    

HOST  STATE   ROLES                                       READ_ONLY  MASTER  IO   SQL  BEHIND  SEMISYNC  GTID
db1   ONLINE  reader(198.18.0.101), writer(198.18.0.100)  OFF        db2     Yes  Yes  0       ON (1)    0-1-100
db2   ONLINE  reader(198.18.0.103)                        ON         db1     Yes  Yes  0       OFF       0-1-100
db3   ONLINE  reader(198.18.0.102)                        ON         db1     Yes  Yes  0       -         0-1-99
`
	r.check(t, []string{"status"}, want, 0)

	// Hosts the leader cannot see are explained under the table.
	e.backend.SetObservation(api.HostObs{Host: "db3", Observed: apitest.Start, LastError: "dial tcp 198.18.0.13:3306: connect: connection refused"})
	r = e.run(t, "status")
	if !strings.Contains(r.stdout, "\ndb3   ONLINE  reader(198.18.0.102)                        -          -       -    -    -       -         -\n") ||
		!strings.Contains(r.stdout, "\n# db3: its coordinator does not answer (seen ") ||
		!strings.HasSuffix(r.stdout, "\n# db3: dial tcp 198.18.0.13:3306: connect: connection refused\n") {
		t.Errorf("status with db3 unreachable:\n%s", r.stdout)
	}

	// Without a leader, the node says so under the table (and exits 7:
	// TestNoLeaderIsStale).
	e.backend.SetLeader("db1", "", "")
	r = e.run(t, "--allow-stale", "status")
	if !strings.HasPrefix(r.stdout, "Node db1, leader none,") || !strings.HasSuffix(r.stdout, "# no raft leader: this state may be stale\n") {
		t.Errorf("status without a leader:\n%s", r.stdout)
	}

	// Only a leader observes MySQL (a follower fetches them from it).
	e.backend.SetLeader("db1", "db1", "")
	r = e.run(t, "--json", "status")
	var st api.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 || len(st.Hosts) != 3 ||
		st.Hosts[0].Obs == nil || st.Hosts[0].Obs.SemisyncPeers == nil || *st.Hosts[0].Obs.SemisyncPeers != 1 {
		t.Errorf("status --json = %v %+v (%d)", err, st, r.code)
	}
}

// historyRows drops the time column (local time, 23 characters and the
// two spaces after it).
func historyRows(out string) []string {
	var rows []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if len(line) > 25 {
			line = line[25:]
		}
		rows = append(rows, line)
	}
	return rows
}

func TestHistory(t *testing.T) {
	e := newEnv(t)
	if r := e.run(t, "set_offline", "db3"); r.code != 0 {
		t.Fatalf("set_offline: %+v", r)
	}
	r := e.run(t, "history", "-n", "5")
	want := []string{
		"KIND     HOST  OUTCOME  DURATION  WHAT",
		"event    -     -        -         INFO Orphaned role 'reader(198.18.0.102)' has been assigned to 'db2'",
		"command  -     -        -         set_offline db3 => OK: State of 'db3' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!",
		"action   db3   ok       120ms     reader-vips db3 none",
		"action   db2   ok       120ms     reader-vips db2 198.18.0.102,198.18.0.103",
		"action   db3   ok       120ms     stop-replication db3",
	}
	got := historyRows(r.stdout)
	if r.code != 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history -n 5:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// --host keeps the entries about that host, newest last.
	r = e.run(t, "history", "--host", "db2", "-n", "2")
	for _, row := range historyRows(r.stdout)[1:] {
		if !strings.Contains(row, "db2") {
			t.Errorf("history --host db2 shows %q", row)
		}
	}
	if n := len(historyRows(r.stdout)); n != 3 {
		t.Errorf("history --host db2 -n 2: %d lines", n)
	}

	r = e.run(t, "history", "--json", "-n", "0")
	var h api.HistoryResponse
	all, _ := e.backend.History(t.Context(), 0)
	if err := json.Unmarshal([]byte(r.stdout), &h); err != nil || len(h.Entries) != len(all) {
		t.Errorf("history --json: %v, %d entries, want %d", err, len(h.Entries), len(all))
	}
}

func TestSwitchover(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args   []string
		stdout string
		code   int
	}{
		{[]string{"switchover", "--to", "db9"}, "ERROR: Unknown host name 'db9'!\n", app.ExitUnknown},
		{[]string{"switchover", "--to", "db3"}, "ERROR: Host 'db3' can't handle role 'writer'. Only following hosts could: db1, db2\n", app.ExitRefused},
		{[]string{"switchover", "--no-wait"}, "OK: Role 'writer' has been moved from 'db1' to 'db2'. Now you can wait some time and check new roles info!\n", 0},
		{[]string{"switchover", "--to", "db1", "--wait", "0"}, "OK: Role 'writer' has been moved from 'db2' to 'db1'. Now you can wait some time and check new roles info!\n", 0},
		{[]string{"set_offline", "db2"}, "OK: State of 'db2' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!\n", 0},
		{[]string{"switchover"}, "ERROR: No host can take over role 'writer': 'db2' is 'ADMIN_OFFLINE'.\n", app.ExitRefused},
	} {
		e.run(t, tc.args...).check(t, tc.args, tc.stdout, tc.code)
	}
	r := e.run(t, "switchover", "--json", "--to", "db2")
	var resp api.CommandResponse
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil || resp.Command != "move_role writer db2" || resp.OK || r.code != app.ExitRefused {
		t.Errorf("switchover --json = %v %+v (%d)", err, resp, r.code)
	}
}

// TestSwitchoverWaits: by default switchover follows the handover and
// prints each action as it completes, then says when the target is the
// writer with its MySQL writable; an action that fails for good ends it
// with exit 1 and the reason.
func TestSwitchoverWaits(t *testing.T) {
	e := newEnv(t)
	r := e.run(t, "switchover")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	want := []string{
		"OK: Role 'writer' has been moved from 'db1' to 'db2'. Now you can wait some time and check new roles info!",
		"  ok        close-writer db1 (120ms)",
		"  ok        fence db1 (120ms)",
		"  ok        catch-up db2 previous db1 (120ms)",
		"  ok        promote db2 previous db1 (120ms)",
		"  ok        open-writer db2 (120ms)",
	}
	if r.code != 0 || len(lines) < len(want)+1 || !slices.Equal(lines[:len(want)], want) ||
		!regexp.MustCompile(`^OK: 'db2' is the writer, its MySQL writable, \S+ after the move\.$`).MatchString(lines[len(lines)-1]) {
		t.Fatalf("switchover: code %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}

	e.backend.FailActions("catch-up db1", "refused: db1 misses 0-2-17 that no reachable server has")
	r = e.run(t, "switchover", "--json")
	var resp api.CommandResponse
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil || !resp.OK || r.code != app.ExitError ||
		!strings.Contains(r.stderr, "  failed    catch-up db1 previous db2 (120ms): refused: db1 misses 0-2-17") ||
		!strings.Contains(r.stderr, "mmmctl: switchover db2 -> db1: catch-up db1 previous db2 failed: refused") {
		t.Errorf("switchover with a refused catch-up: %v %+v, code %d, stderr:\n%s", err, resp, r.code, r.stderr)
	}
}

// TestSwitchoverOnALaggingNode: the coordinator asked may answer its
// first reads from before the move (a follower that has not applied it
// yet): that is not the role going elsewhere.
func TestSwitchoverOnALaggingNode(t *testing.T) {
	e := newEnv(t)
	e.backend.LagReads(2)
	r := e.run(t, "switchover")
	if r.code != 0 || !strings.Contains(r.stdout, "OK: 'db2' is the writer") {
		t.Errorf("switchover read from a lagging node: code %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

func TestJSONOutput(t *testing.T) {
	e := newEnv(t)
	r := e.run(t, "--json", "show")
	var snap api.Snapshot
	if err := json.Unmarshal([]byte(r.stdout), &snap); err != nil || r.code != 0 {
		t.Fatalf("show --json: %v (%d)", err, r.code)
	}
	if got := fsm.Show(snap.Spec, snap.State) + "\n"; got != showHealthy {
		t.Errorf("show from --json:\n%s", got)
	}
	for _, tc := range []struct {
		args []string
		want api.CommandResponse
		code int
	}{
		{[]string{"mode", "--json"}, api.CommandResponse{Command: "mode", OK: true, Text: "ACTIVE"}, 0},
		{[]string{"--json", "set_ip", "198.18.0.101", "db1"}, api.CommandResponse{Command: "set_ip 198.18.0.101 db1", Text: "ERROR: This command is only allowed in passive mode"}, app.ExitRefused},
		{[]string{"--json", "checks", "db9"}, api.CommandResponse{Command: "checks", Text: "ERROR: Unknown host name 'db9'!"}, app.ExitUnknown},
	} {
		r := e.run(t, tc.args...)
		var got api.CommandResponse
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got != tc.want || r.code != tc.code {
			t.Errorf("%v = %v %+v (%d), want %+v (%d)", tc.args, err, got, r.code, tc.want, tc.code)
		}
	}
	r = e.run(t, "checks", "--json", "db1", "ping")
	var checks api.ChecksResponse
	if err := json.Unmarshal([]byte(r.stdout), &checks); err != nil || len(checks.Checks) != 1 || !checks.Checks[0].OK {
		t.Errorf("checks --json: %v %+v", err, checks)
	}
	r = e.run(t, "ping", "--json")
	var ping api.PingResponse
	if err := json.Unmarshal([]byte(r.stdout), &ping); err != nil || ping.Version != "test" || ping.Node != "db1" {
		t.Errorf("ping --json: %v %+v", err, ping)
	}
}

// TestNoLeaderIsStale: a node without a raft leader (cut off from the
// others) still answers reads from its own, possibly old, state. Scripts
// that parse show and its exit code must not take it for the cluster's:
// show, status and checks print it and exit 7 with a line on stderr,
// unless --allow-stale (global or the command's) accepts it.
func TestNoLeaderIsStale(t *testing.T) {
	e := newEnv(t)
	e.backend.SetLeader("db1", "", "")
	const stale = "mmmctl: db1 has no raft leader: the state printed may be stale (--allow-stale accepts it)\n"
	for _, tc := range []struct {
		args   string
		code   int
		stdout string // prefix; "" = do not check
		stderr string // suffix
	}{
		{"show", app.ExitUnavailable, showHealthy, stale},
		{"status", app.ExitUnavailable, "Node db1, leader none,", stale},
		{"checks db2 rep_backlog", app.ExitUnavailable, "db2  rep_backlog  [last change: ",
			"mmmctl: the coordinator asked has no raft leader: the state printed may be stale (--allow-stale accepts it)\n"},
		{"--json show", app.ExitUnavailable, "{", stale},
		{"show --json", app.ExitUnavailable, "{", stale},
		{"--allow-stale show", 0, showHealthy, "mmmctl: warning: no raft leader: this state may be stale\n"},
		{"show --allow-stale", 0, showHealthy, "mmmctl: warning: no raft leader: this state may be stale\n"},
		{"--allow-stale status", 0, "Node db1, leader none,", ""},
		{"status --allow-stale --json", 0, "{", ""},
		{"checks --allow-stale db2 rep_backlog", 0, "db2  rep_backlog  [last change: ", ""},
		{"ping", 0, "OK: Pinged successfully!\n", ""}, // the node answers: that is all ping says
	} {
		args := strings.Fields(tc.args)
		r := e.run(t, args...)
		if r.code != tc.code || !strings.HasPrefix(r.stdout, tc.stdout) || !strings.HasSuffix(r.stderr, tc.stderr) ||
			(tc.stderr == "") != (r.stderr == "") {
			t.Errorf("mmmctl %s: code %d\nstdout %q\nstderr %q\nwant %d, stdout %q…, stderr …%q", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
		}
	}

	// With a leader again, no flag is needed.
	e.backend.SetLeader("db1", "db1", "")
	for _, args := range [][]string{{"show"}, {"status"}, {"checks"}} {
		if r := e.run(t, args...); r.code != 0 || r.stderr != "" {
			t.Errorf("mmmctl %s with a leader: %+v", args, r)
		}
	}
}
