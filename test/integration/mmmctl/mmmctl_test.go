//go:build integration

package mmmctl

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// TestMmmctl runs the scenarios in order on the one lab; a scenario that
// fails stops the rest (they build on its state).
func TestMmmctl(t *testing.T) {
	for _, sc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"show", testShow},
		{"set_offline-set_online", testSetOfflineOnline},
		{"error-reply-exit-code", testRefusedExitsNonZero},
		{"move_role-writer", testMoveRoleWriter},
		{"switchover-under-load-1", func(t *testing.T) { testSwitchoverUnderLoad(t, 1) }},
		{"switchover-under-load-2", func(t *testing.T) { testSwitchoverUnderLoad(t, 100_000) }},
		{"switchover-aborts", testSwitchoverAborts},
		{"wrong-token", testWrongToken},
		{"unreachable", testUnreachable},
		{"set_offline-set_online-passive-master", testPassiveMasterOffOn},
	} {
		if !t.Run(sc.name, sc.run) {
			t.Logf("%s failed: the scenarios after it are not run", sc.name)
			return
		}
	}
}

// showLine is one host of `mmmctl show`, as mmm_control printed it.
var showLine = regexp.MustCompile(`^  (db[123])\((198\.18\.0\.1[123])\) (master|slave)/([A-Z_]+)\. Roles: (.*)$`)

// hostLine is one parsed line of show.
type hostLine struct {
	ip, mode, state string
	roles           []string
}

// parseShow checks show's layout (one line per host sorted by name, then
// the empty line mmm_control printed) and returns the lines by host.
func parseShow(t *testing.T, out string) map[string]hostLine {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != 5 || lines[3] != "" || lines[4] != "" {
		t.Fatalf("show: want 3 host lines and an empty line, got %q", out)
	}
	got := map[string]hostLine{}
	for i, l := range lines[:3] {
		m := showLine.FindStringSubmatch(l)
		if m == nil || m[1] != dbHosts[i] {
			t.Fatalf("show line %d is not MMM's %q for %s: %q", i+1, showLine, dbHosts[i], l)
		}
		var roles []string
		if m[5] != "" {
			roles = strings.Split(m[5], ", ")
		}
		got[m[1]] = hostLine{ip: m[2], mode: m[3], state: m[4], roles: roles}
	}
	return got
}

// testShow: the lab starts with auto_set_online 0, so its hosts come up
// AWAITING_RECOVERY except the writer the coordinators chose (the lab's
// db1); mmmctl set_online brings them ONLINE, and show then prints every
// host ONLINE in MMM's format, the writer on one master and the three
// reader IPs one per host. The TCP API from mon answers the same.
func testShow(t *testing.T) {
	waitState(t, 60*time.Second, "the state machine started with a writer", func(s api.Snapshot) bool {
		return s.State.Started && writerOf(s) != ""
	})
	first := ctl(t, "db1", "show")
	if first.code != 0 {
		t.Fatalf("first show: %s", first)
	}
	t.Logf("mmmctl show right after the lab came up (auto_set_online 0):\n%s", first.stdout)
	for h, l := range parseShow(t, first.stdout) {
		if l.state != "ONLINE" && l.state != "AWAITING_RECOVERY" {
			t.Errorf("%s starts %s", h, l.state)
		}
		if l.state == "AWAITING_RECOVERY" {
			r := setOnline(t, h, 60*time.Second)
			want(t, r, 0, fmt.Sprintf("OK: State of '%s' changed to ONLINE. Now you can wait some time and check its new roles!\n", h))
		}
	}
	writer, _ := steady(t)

	r := ctl(t, "db2", "show")
	if r.code != 0 {
		t.Fatalf("show: %s", r)
	}
	if r.stderr != "" {
		t.Logf("show's warnings (stderr): %q", r.stderr)
	}
	t.Logf("mmmctl show (through db2's socket), all ONLINE:\n%s", r.stdout)
	got := parseShow(t, r.stdout)
	readers := map[string]string{}
	for _, h := range dbHosts {
		l := got[h]
		hs, _ := lab.LookupHost(h)
		mode := "master"
		if h == "db3" {
			mode = "slave"
		}
		if l.ip != hs.Addr.String() || l.mode != mode || l.state != "ONLINE" {
			t.Errorf("%s: %s/%s at %s, want %s/ONLINE at %s", h, l.mode, l.state, l.ip, mode, hs.Addr)
		}
		var rd []string
		for _, role := range l.roles {
			switch {
			case role == "writer("+lab.WriterVIP.String()+")":
				if h != writer || mode != "master" {
					t.Errorf("the writer role on %s; the state says %s", h, writer)
				}
			case strings.HasPrefix(role, "reader("):
				rd = append(rd, role)
				if other, dup := readers[role]; dup {
					t.Errorf("%s on %s and %s", role, other, h)
				}
				readers[role] = h
			default:
				t.Errorf("%s: unexpected role %q", h, role)
			}
		}
		if len(rd) != 1 {
			t.Errorf("%s holds reader IPs %v, want one (3 IPs balanced over 3 hosts)", h, rd)
		}
		if h == writer && !slices.Contains(l.roles, "writer("+lab.WriterVIP.String()+")") {
			t.Errorf("the writer %s does not show the writer role: %v", h, l.roles)
		}
	}
	if len(readers) != len(lab.ReaderVIPs) {
		t.Errorf("reader IPs shown: %v, want all of %v", readers, lab.ReaderVIPs)
	}

	want(t, ctl(t, "db3", "ping"), 0, "OK: Pinged successfully!\n")
	tcp := run(t, "mon", "--api", apiURL("db3"), "--token-file", tokenFile(), "show")
	if tcp.code != 0 || tcp.stdout != r.stdout {
		t.Errorf("show over db3's TCP API from mon differs from the socket's:\n%s\nsocket: %q", tcp, r.stdout)
	}
	if st := ctl(t, "db1", "status"); st.code != 0 || !strings.Contains(st.stdout, "MEMBER") {
		t.Errorf("status: %s", st)
	} else {
		t.Logf("mmmctl status:\n%s", st.stdout)
	}

	// The leader's metrics carry what its inspections read: the writer's
	// semisync master side on with a client, every replica's threads
	// running. Semisync is read every 10 s: poll.
	wants := []string{
		fmt.Sprintf("mmm_semisync_master_status{host=%q} 1", writer),
		fmt.Sprintf("mmm_semisync_master_clients{host=%q} 2", writer),
		`mmm_replication_io_running{host="db3"} 1`,
		`mmm_replication_sql_running{host="db3"} 1`,
		`mmm_replication_seconds_behind{host="db3"} 0`,
		`mmm_semisync_replica_status{host="db3"} 1`,
	}
	var all string
	if !waitFor(30*time.Second, func() bool {
		all = ""
		for _, h := range dbHosts {
			all += scrape(t, h)
		}
		return !slices.ContainsFunc(wants, func(w string) bool { return !strings.Contains(all, w) }) &&
			strings.Contains(all, "mmm_build_info{")
	}) {
		t.Errorf("the coordinators' metrics lack some of %q and mmm_build_info; their mmm_ lines:\n%s", wants, mmmLines(all))
	}
}

// mmmLines keeps the mmm_ samples of a scrape.
func mmmLines(scrape string) string {
	var out []string
	for l := range strings.Lines(scrape) {
		if strings.HasPrefix(l, "mmm_") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, "\n")
}

// testSetOfflineOnline: set_offline db3 takes its reader IP away (it goes
// to another host), set_online db3 brings db3 back ONLINE and balancing
// gives it a reader IP again; MMM's replies, exit 0, and the "already"
// replies are OK too.
func testSetOfflineOnline(t *testing.T) {
	steady(t)
	before, _ := leaderSnapshot()
	ip := readerIPs(before, "db3")
	want(t, ctl(t, "db2", "set_offline", "db3"), 0,
		"OK: State of 'db3' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!\n")
	s := waitState(t, 15*time.Second, "db3 ADMIN_OFFLINE, its reader IP on another host", func(s api.Snapshot) bool {
		return stateOf(s, "db3") == fsm.StateAdminOffline && len(s.State.HostRoles("db3")) == 0 &&
			len(readerIPs(s, "db1"))+len(readerIPs(s, "db2")) == len(lab.ReaderVIPs) && vipsMatch(s)
	})
	got := parseShow(t, ctl(t, "db1", "show").stdout)
	if l := got["db3"]; l.state != "ADMIN_OFFLINE" || len(l.roles) != 0 {
		t.Errorf("show: db3 %s with roles %v, want ADMIN_OFFLINE without roles", l.state, l.roles)
	}
	// Its replication is stopped by an action that follows the state
	// change, so it may still run for a moment.
	if !waitFor(15*time.Second, func() bool { _, running := masterOf(t, "db3"); return !running }) {
		m, _ := masterOf(t, "db3")
		t.Errorf("db3 still replicates from %s 15 s into ADMIN_OFFLINE", m)
	}
	t.Logf("db3's %v moved away:\n%s", ip, show(s))
	want(t, ctl(t, "db1", "set_offline", "db3"), 0, "OK: This host is already ADMIN_OFFLINE. Skipping command.\n")

	r := setOnline(t, "db3", 60*time.Second)
	want(t, r, 0, "OK: State of 'db3' changed to ONLINE. Now you can wait some time and check its new roles!\n")
	s = waitState(t, 15*time.Second, "db3 ONLINE with a reader IP again (balancing)", func(s api.Snapshot) bool {
		return stateOf(s, "db3") == fsm.StateOnline && len(readerIPs(s, "db3")) == 1 && vipsMatch(s)
	})
	t.Logf("db3 back with %v:\n%s", readerIPs(s, "db3"), show(s))
	want(t, ctl(t, "db2", "set_online", "db3"), 0, "OK: This host is already ONLINE. Skipping command.\n")
	want(t, ctl(t, "db2", "set_online", "db9"), 6, "ERROR: Unknown host name 'db9'!\n")
}

// testRefusedExitsNonZero: MMM printed ERROR replies and exited 0;
// mmmctl prints the same text and exits 5. db3's mysqld is stopped until
// it is HARD_OFFLINE, which neither set_offline nor set_online accepts.
func testRefusedExitsNonZero(t *testing.T) {
	steady(t)
	undo, err := theLab.StopMySQL(t.Context(), "db3")
	if err != nil {
		t.Fatal(err)
	}
	defer undo(t.Context())
	waitState(t, 20*time.Second, "db3 HARD_OFFLINE", func(s api.Snapshot) bool { return stateOf(s, "db3") == fsm.StateHardOffline })
	r := ctl(t, "db1", "set_offline", "db3")
	want(t, r, 5, "ERROR: Host 'db3' is 'HARD_OFFLINE' at the moment. It can't be switched to ADMIN_OFFLINE.\n")
	if r.stderr != "" {
		t.Errorf("an ERROR reply goes to stdout alone; stderr %q", r.stderr)
	}
	want(t, ctl(t, "db1", "set_online", "db3"), 5,
		"ERROR: Host 'db3' is 'HARD_OFFLINE' at the moment. It can't be switched to ONLINE.\n")
	if err := undo(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Back AWAITING_RECOVERY, and ONLINE by itself when it was down
	// briefly (MMM's rule for a replica); set_online otherwise.
	setOnline(t, "db3", 60*time.Second)
}

// testMoveRoleWriter: move_role writer to the other master: the state
// moves it, the new writer is writable and the old one read_only,
// keepalived moves the writer VIP, db3 follows the new writer.
func testMoveRoleWriter(t *testing.T) {
	w, p := steady(t)
	start := time.Now()
	want(t, ctl(t, "db3", "move_role", "writer", p), 0,
		fmt.Sprintf("OK: Role 'writer' has been moved from '%s' to '%s'. Now you can wait some time and check new roles info!\n", w, p))
	s := waitState(t, 30*time.Second, p+" writer with the writer VIP", func(s api.Snapshot) bool {
		h, err := theLab.VIPHolders(lab.WriterVIP)
		return writerOf(s) == p && err == nil && len(h) == 1 && h[0] == p
	})
	moved := time.Since(start)
	if !waitFor(15*time.Second, func() bool { return !readOnly(t, p) && readOnly(t, w) }) {
		t.Errorf("read_only: %s %v (want 0), %s %v (want 1)", p, readOnly(t, p), w, readOnly(t, w))
	}
	waitReplicates(t, "db3", p, 30*time.Second)
	waitReplicates(t, w, p, 45*time.Second)
	t.Logf("the old writer %s replicates from %s %v after mmmctl move_role", w, p, time.Since(start).Round(time.Millisecond))
	got := parseShow(t, ctl(t, "db1", "show").stdout)
	if !slices.Contains(got[p].roles, "writer("+lab.WriterVIP.String()+")") || slices.Contains(got[w].roles, "writer("+lab.WriterVIP.String()+")") {
		t.Errorf("show: %s %v, %s %v", p, got[p].roles, w, got[w].roles)
	}
	t.Logf("writer %s -> %s: VIP on %s %v after mmmctl; state:\n%sactions:\n%s", w, p, p, moved.Round(time.Millisecond), show(s), actions(history(start)))

	want(t, ctl(t, "db1", "move_role", "writer", p), 0, fmt.Sprintf("OK: Role is on '%s' already. Skipping command.\n", p))
	want(t, ctl(t, "db1", "move_role", "writer", "db3"), 5, "ERROR: Host 'db3' can't handle role 'writer'. Only following hosts could: db1, db2\n")
	want(t, ctl(t, "db1", "move_role", "bogus", "db1"), 6, "ERROR: Unknown role name 'bogus'!\n")
}

// testPassiveMasterOffOn: set_offline then set_online of the passive
// master once a promotion has happened (the switchovers above). The
// promotion stopped the writer's replication from its peer; the
// state machine's ring repair must have started it again, or MMM's
// set_online rule refuses the peer for the writer's failing replication
// checks. The switchovers above run back to back, so the second promotes
// a host whose own replication restart is still unverified: that older
// repair once stood in for the ring's restart and the ring stayed open
// (fsm TestRingAfterBackToBackSwitchovers).
func testPassiveMasterOffOn(t *testing.T) {
	w, p := steady(t)
	waitReplicates(t, w, p, 30*time.Second)
	want(t, ctl(t, "db3", "set_offline", p), 0,
		fmt.Sprintf("OK: State of '%s' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!\n", p))
	waitState(t, 15*time.Second, p+" ADMIN_OFFLINE", func(s api.Snapshot) bool { return stateOf(s, p) == fsm.StateAdminOffline })
	r := setOnline(t, p, 30*time.Second)
	want(t, r, 0, fmt.Sprintf("OK: State of '%s' changed to ONLINE. Now you can wait some time and check its new roles!\n", p))
	steady(t)
}
